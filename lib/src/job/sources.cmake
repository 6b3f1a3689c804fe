# Job files (`avpost run`): the job spec and its strict parser.
target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/job_spec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/akool_key_backdrop.cpp
)
