# `avpost run`: job files through the pipeline library (render, wait, fetch, compose + deliver, archive).
target_sources(avpost PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/local_run.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/submit_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/jobs_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker_command.cpp
)
