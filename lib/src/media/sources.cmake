target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/handles.cpp
  ${CMAKE_CURRENT_LIST_DIR}/video_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/luma_only_buffers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/media_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/audio_carrier.cpp
  ${CMAKE_CURRENT_LIST_DIR}/media_probe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loudness_meter.cpp
)
