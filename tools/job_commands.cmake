# `avpost run`: job files through render, wait, fetch, compose + deliver and archive.
target_sources(avpost PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/job_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/job_compose.cpp
  ${CMAKE_CURRENT_LIST_DIR}/job_archiving.cpp
)
