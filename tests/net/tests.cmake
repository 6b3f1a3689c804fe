# Vendor clients, webhooks, downloads, the sandbox and the vendor commands: all over real HTTP
# on 127.0.0.1 (the sandbox or throwaway servers), never the internet.
find_program(OPENSSL_EXECUTABLE openssl REQUIRED)
avpost_add_test(net_http_test ${CMAKE_CURRENT_LIST_DIR}/http_client_test.cpp)
avpost_add_test(net_webhook_test ${CMAKE_CURRENT_LIST_DIR}/webhook_test.cpp)
# The independent implementation the webhook crypto is checked against.
target_compile_definitions(net_webhook_test PRIVATE OPENSSL_EXECUTABLE="${OPENSSL_EXECUTABLE}")
avpost_add_test(net_akool_test ${CMAKE_CURRENT_LIST_DIR}/akool_client_test.cpp)
avpost_add_test(net_a2v_test ${CMAKE_CURRENT_LIST_DIR}/a2v_client_test.cpp)
avpost_add_test(net_download_test ${CMAKE_CURRENT_LIST_DIR}/download_test.cpp)
avpost_add_test(net_sandbox_test ${CMAKE_CURRENT_LIST_DIR}/sandbox_test.cpp)
avpost_add_test(net_cli_test ${CMAKE_CURRENT_LIST_DIR}/vendor_cli_test.cpp)
avpost_add_test(net_sandbox_akool_test ${CMAKE_CURRENT_LIST_DIR}/sandbox_akool_render_test.cpp)
avpost_add_test(net_wait_schedule_test ${CMAKE_CURRENT_LIST_DIR}/wait_schedule_test.cpp)
avpost_add_test(net_retry_rule_test ${CMAKE_CURRENT_LIST_DIR}/retry_rule_test.cpp)
# /metrics: the text format, the catalog families, vendor request counters, the endpoint (promtool
# lints what is written; CI=true makes a missing promtool a failure).
avpost_add_test(net_metrics_test ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cpp)
# Completion webhooks: Standard Webhooks signing, checked against the spec's vector and the npm
# `standardwebhooks` package (scripts/setup.sh installs it into the build tree's npm/), and the
# SSRF rule of notify URLs.
find_program(NODE_EXECUTABLE node)
set(AVPOST_STANDARDWEBHOOKS_JS "")
foreach(candidate ${CMAKE_BINARY_DIR}/npm ${CMAKE_SOURCE_DIR}/build/npm)
  if(NOT AVPOST_STANDARDWEBHOOKS_JS AND EXISTS ${candidate}/node_modules/standardwebhooks/dist/index.js)
    set(AVPOST_STANDARDWEBHOOKS_JS ${candidate}/node_modules/standardwebhooks)
  endif()
endforeach()
if(NOT AVPOST_STANDARDWEBHOOKS_JS OR NOT NODE_EXECUTABLE)
  message(WARNING "the npm standardwebhooks package or node not found: the webhook tests will fail; run scripts/setup.sh")
endif()
avpost_add_test(net_standard_webhooks_test ${CMAKE_CURRENT_LIST_DIR}/standard_webhooks_test.cpp)
target_compile_definitions(net_standard_webhooks_test PRIVATE
  NODE_EXECUTABLE="${NODE_EXECUTABLE}" AVPOST_STANDARDWEBHOOKS_JS="${AVPOST_STANDARDWEBHOOKS_JS}")
avpost_add_test(net_webhook_url_test ${CMAKE_CURRENT_LIST_DIR}/webhook_url_test.cpp)
