# The vendor commands (avatars, poses, voices, videos, render, status, wait, fetch) and the sandbox.
target_sources(avpost PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/vendor_common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wait_display.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vendor_catalog_commands.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vendor_job_commands.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sandbox_command.cpp
)
