# A fleet of real `avpost worker` processes on a real PostgreSQL queue, the sandbox and s3rver:
# one binary (one PostgreSQL and one s3rver for all its tests). AVPOST_PG_BINDIR, AVPOST_S3RVER_JS
# and NODE_EXECUTABLE come from archive/tests.cmake.
avpost_add_test_binary(fleet_test ${CMAKE_CURRENT_LIST_DIR}/fleet_test.cpp)
target_compile_definitions(fleet_test PRIVATE AVPOST_PG_BINDIR="${AVPOST_PG_BINDIR}"
  AVPOST_S3RVER_JS="${AVPOST_S3RVER_JS}" NODE_EXECUTABLE="${NODE_EXECUTABLE}")

# /metrics of `avpost serve` and `avpost worker --metrics-listen` scraped before and after jobs
# run (a SQLite queue, the sandbox); promtool checks both texts (CI=true: a missing promtool fails).
avpost_add_test(metrics_e2e_test ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cpp)

# The chaos test's TCP fault proxy (tests/support/fault_proxy.cpp) against a tiny echo server.
avpost_add_test(fault_proxy_test ${CMAKE_CURRENT_LIST_DIR}/fault_proxy_test.cpp)

# The fleet under chaos: PostgreSQL, the sandbox and s3rver each behind a fault proxy while 3
# workers run 8 jobs (latency, resets, a database blackhole, a dropping vendor, a resetting store);
# then the workers' disk and the store's disk full under 3 jobs.
# e2e: its schedule is timed for a normal build (1 s leases); the sanitizer build leaves it out.
if(AVPOST_END_TO_END_TESTS)
  avpost_add_test_binary(chaos_test ${CMAKE_CURRENT_LIST_DIR}/chaos_test.cpp)
  target_link_libraries(chaos_test PRIVATE avpost_pipeline)
  target_compile_definitions(chaos_test PRIVATE AVPOST_PG_BINDIR="${AVPOST_PG_BINDIR}"
    AVPOST_S3RVER_JS="${AVPOST_S3RVER_JS}" NODE_EXECUTABLE="${NODE_EXECUTABLE}")
  set_tests_properties(chaos_test PROPERTIES LABELS e2e)
endif()

# The HTTP job API of `avpost serve`, driven by an independent Node client (tests/fleet/api_client.mjs)
# that checks every answer against docs/openapi.json (openapi-backend, installed by scripts/setup.sh).
# e2e: whole jobs run through a second serve (--work 2).
set(AVPOST_NPM_DIR "")
foreach(candidate ${CMAKE_BINARY_DIR}/npm ${CMAKE_SOURCE_DIR}/build/npm)
  if(NOT AVPOST_NPM_DIR AND EXISTS ${candidate}/node_modules/openapi-backend)
    set(AVPOST_NPM_DIR ${candidate})
  endif()
endforeach()
avpost_add_e2e_test(job_api_test ${CMAKE_CURRENT_LIST_DIR}/api_test.cpp)
if(AVPOST_END_TO_END_TESTS)
  target_compile_definitions(job_api_test PRIVATE AVPOST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    AVPOST_NPM_DIR="${AVPOST_NPM_DIR}" NODE_EXECUTABLE="${NODE_EXECUTABLE}")
endif()

# Completion webhooks end to end: workers deliver signed events to a Node receiver that verifies
# them with the npm standardwebhooks package (net/tests.cmake finds it), through an outage and a
# deliverer killed mid-attempt.
avpost_add_e2e_test(webhook_e2e_test ${CMAKE_CURRENT_LIST_DIR}/webhook_e2e_test.cpp)
if(AVPOST_END_TO_END_TESTS)
  target_compile_definitions(webhook_e2e_test PRIVATE NODE_EXECUTABLE="${NODE_EXECUTABLE}"
    AVPOST_STANDARDWEBHOOKS_JS="${AVPOST_STANDARDWEBHOOKS_JS}"
    AVPOST_WEBHOOK_RECEIVER="${CMAKE_CURRENT_LIST_DIR}/webhook_receiver.mjs")
endif()
