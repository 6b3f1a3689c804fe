# Delivery presets and `avpost transcode`, checked with ffprobe and the libvpx decoder.
avpost_add_e2e_test(deliver_test
  ${CMAKE_CURRENT_LIST_DIR}/deliver_presets_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_alpha_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_errors_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_av1_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_hls_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_loudness_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_captions_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deliver_test_support.cpp
 
)
