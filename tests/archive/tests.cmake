# The archive: catalog, local and S3 stores, SigV4, and the archive commands. S3 tests run
# against s3rver (npm) on 127.0.0.1, installed by scripts/setup.sh into build*/npm; the SigV4
# signer is checked against Debian's python3-botocore.
avpost_add_test(archive_catalog_test ${CMAKE_CURRENT_LIST_DIR}/catalog_test.cpp)
# The catalog contract, against SQLite and a throwaway PostgreSQL 15 (initdb + pg_ctl from Debian's
# postgresql-15, started by the test binary on a unix socket; see tests/support/postgres_server.hpp),
# run as one ctest test each so that one server serves all their tests.
find_program(AVPOST_PG_CTL pg_ctl PATHS /usr/lib/postgresql/15/bin NO_DEFAULT_PATH)
if(AVPOST_PG_CTL)
  get_filename_component(AVPOST_PG_BINDIR ${AVPOST_PG_CTL} DIRECTORY)
else()
  set(AVPOST_PG_BINDIR /usr/lib/postgresql/15/bin)
  message(WARNING "PostgreSQL 15 not found: the PostgreSQL catalog tests will fail; run scripts/setup.sh")
endif()
avpost_add_test_binary(archive_catalog_contract_test ${CMAKE_CURRENT_LIST_DIR}/catalog_contract_test.cpp)
target_compile_definitions(archive_catalog_contract_test PRIVATE AVPOST_PG_BINDIR="${AVPOST_PG_BINDIR}")
avpost_add_test(archive_local_store_test ${CMAKE_CURRENT_LIST_DIR}/local_store_test.cpp)
avpost_add_test(archive_sigv4_test ${CMAKE_CURRENT_LIST_DIR}/sigv4_test.cpp)
target_compile_definitions(archive_sigv4_test PRIVATE AVPOST_ARCHIVE_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")

# s3rver and the other npm test packages: installed by scripts/setup.sh (install_npm_test_packages) into the build tree's npm/.
find_program(NODE_EXECUTABLE node)
set(AVPOST_S3RVER_JS "")
foreach(candidate ${CMAKE_BINARY_DIR}/npm ${CMAKE_SOURCE_DIR}/build/npm)
  if(NOT AVPOST_S3RVER_JS AND EXISTS ${candidate}/node_modules/s3rver/bin/s3rver.js)
    set(AVPOST_S3RVER_JS ${candidate}/node_modules/s3rver/bin/s3rver.js)
  endif()
endforeach()
if(NOT AVPOST_S3RVER_JS OR NOT NODE_EXECUTABLE)
  message(WARNING "s3rver or node not found: archive_s3_test will fail; run scripts/setup.sh")
endif()
avpost_add_test(archive_s3_test ${CMAKE_CURRENT_LIST_DIR}/s3_store_test.cpp)
target_compile_definitions(archive_s3_test PRIVATE
  AVPOST_S3RVER_JS="${AVPOST_S3RVER_JS}" NODE_EXECUTABLE="${NODE_EXECUTABLE}")
avpost_add_test(archive_cli_test ${CMAKE_CURRENT_LIST_DIR}/cli_test.cpp)

# archive sync/add/export and serve: against the in-process sandbox and throwaway servers.
avpost_add_test(archive_sync_test ${CMAKE_CURRENT_LIST_DIR}/sync_a2v_test.cpp)
avpost_add_test(archive_sync_faults_test ${CMAKE_CURRENT_LIST_DIR}/sync_faults_test.cpp)
avpost_add_test(archive_sync_no_loss_test ${CMAKE_CURRENT_LIST_DIR}/sync_no_loss_test.cpp)
avpost_add_test(archive_repair_test ${CMAKE_CURRENT_LIST_DIR}/repair_test.cpp)
avpost_add_test(archive_access_tokens_test ${CMAKE_CURRENT_LIST_DIR}/access_tokens_test.cpp)
avpost_add_test(archive_serve_test ${CMAKE_CURRENT_LIST_DIR}/serve_test.cpp)
target_link_libraries(archive_serve_test PRIVATE SQLite::SQLite3)
avpost_add_test(archive_export_test ${CMAKE_CURRENT_LIST_DIR}/export_test.cpp)
avpost_add_test(archive_sync_s3_test ${CMAKE_CURRENT_LIST_DIR}/sync_s3_test.cpp)
target_compile_definitions(archive_sync_s3_test PRIVATE
  AVPOST_S3RVER_JS="${AVPOST_S3RVER_JS}" NODE_EXECUTABLE="${NODE_EXECUTABLE}")
avpost_add_test(archive_sync_claims_test ${CMAKE_CURRENT_LIST_DIR}/sync_claims_test.cpp)

# The gallery of `avpost serve`: in process, at scale (10,000 jobs, timings printed), and in
# Debian's headless Chromium (scripts/setup.sh installs it), which leaves a screenshot in
# gallery-artefacts/ of this build directory.
avpost_add_test(archive_gallery_test ${CMAKE_CURRENT_LIST_DIR}/gallery_test.cpp)
target_link_libraries(archive_gallery_test PRIVATE SQLite::SQLite3)
# The same gallery cases on a PostgreSQL catalog: one ctest test, so one server serves them all.
avpost_add_test_binary(archive_gallery_postgres_test ${CMAKE_CURRENT_LIST_DIR}/gallery_postgres_test.cpp)
target_link_libraries(archive_gallery_postgres_test PRIVATE SQLite::SQLite3)
target_compile_definitions(archive_gallery_postgres_test PRIVATE AVPOST_PG_BINDIR="${AVPOST_PG_BINDIR}")
avpost_add_test(archive_gallery_scale_test ${CMAKE_CURRENT_LIST_DIR}/gallery_scale_test.cpp)
target_link_libraries(archive_gallery_scale_test PRIVATE SQLite::SQLite3)
find_program(CHROMIUM_EXECUTABLE chromium)
if(NOT CHROMIUM_EXECUTABLE)
  message(WARNING "chromium not found: archive_gallery_browser_test will fail; run scripts/setup.sh")
  set(CHROMIUM_EXECUTABLE /usr/bin/chromium)
endif()
avpost_add_e2e_test(archive_gallery_browser_test ${CMAKE_CURRENT_LIST_DIR}/gallery_browser_test.cpp)
if(TARGET archive_gallery_browser_test)
  target_link_libraries(archive_gallery_browser_test PRIVATE SQLite::SQLite3)
  target_compile_definitions(archive_gallery_browser_test PRIVATE
    CHROMIUM_EXECUTABLE="${CHROMIUM_EXECUTABLE}"
    AVPOST_TEST_ARTEFACT_DIR="${CMAKE_CURRENT_BINARY_DIR}/gallery-artefacts")
endif()
avpost_add_test(archive_gallery_s3_test ${CMAKE_CURRENT_LIST_DIR}/gallery_s3_test.cpp)
target_compile_definitions(archive_gallery_s3_test PRIVATE
  AVPOST_S3RVER_JS="${AVPOST_S3RVER_JS}" NODE_EXECUTABLE="${NODE_EXECUTABLE}")
# archive sync/ls/verify/export with a PostgreSQL catalog and a shared directory store.
avpost_add_test_binary(archive_sync_postgres_test ${CMAKE_CURRENT_LIST_DIR}/sync_postgres_test.cpp)
target_compile_definitions(archive_sync_postgres_test PRIVATE AVPOST_PG_BINDIR="${AVPOST_PG_BINDIR}")
