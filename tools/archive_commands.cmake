# `avpost archive ls|verify|sync|add|export|repair` and `avpost serve`.
target_sources(avpost PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/archive_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/archive_sync_commands.cpp
  ${CMAKE_CURRENT_LIST_DIR}/archive_repair_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/serve_command.cpp
)
