# HTTP layer, vendor clients (Akool, A2V), webhooks, downloads, and the in-process sandbox.
pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/service_error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redact.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_types.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rate_limiter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retry_rule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/crypto.cpp
  ${CMAKE_CURRENT_LIST_DIR}/standard_webhooks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_url.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_sender.cpp
  ${CMAKE_CURRENT_LIST_DIR}/akool_webhook.cpp
  ${CMAKE_CURRENT_LIST_DIR}/akool_webhook_endpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/akool_types.cpp
  ${CMAKE_CURRENT_LIST_DIR}/akool_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/a2v_types.cpp
  ${CMAKE_CURRENT_LIST_DIR}/a2v_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/render_job.cpp
  ${CMAKE_CURRENT_LIST_DIR}/downloader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/media_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics_endpoint.cpp
)
target_link_libraries(avpost_lib PUBLIC CURL::libcurl OpenSSL::Crypto PkgConfig::CPPHTTPLIB)
target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/sandbox_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/sandbox_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/akool_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/a2v_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/file_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/talking_head.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../sandbox/akool_scene.cpp
)
