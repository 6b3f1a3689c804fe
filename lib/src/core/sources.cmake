target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/progress.cpp
  ${CMAKE_CURRENT_LIST_DIR}/status_line.cpp
  ${CMAKE_CURRENT_LIST_DIR}/atomic_output.cpp
  ${CMAKE_CURRENT_LIST_DIR}/interrupt.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sha256.cpp
  ${CMAKE_CURRENT_LIST_DIR}/file_identity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/colour_names.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_depth.cpp
  ${CMAKE_CURRENT_LIST_DIR}/file_stem.cpp
  ${CMAKE_CURRENT_LIST_DIR}/csv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cpp
)
target_link_libraries(avpost_lib PUBLIC OpenSSL::Crypto)
