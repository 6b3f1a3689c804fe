# `avpost run` job files: the strict parser, and whole jobs against the in-process sandbox.
avpost_add_test(job_spec_test ${CMAKE_CURRENT_LIST_DIR}/job_spec_test.cpp)
target_link_libraries(job_spec_test PRIVATE avpost_pipeline)
avpost_add_e2e_test(job_run_test ${CMAKE_CURRENT_LIST_DIR}/job_run_test.cpp)
avpost_add_e2e_test(job_akool_test ${CMAKE_CURRENT_LIST_DIR}/job_akool_test.cpp)
# Batches (avpost batch): CSV, rows, templates, the checks of every row, the manifest; and the
# program end to end against the sandbox.
avpost_add_test(batch_test ${CMAKE_CURRENT_LIST_DIR}/batch_test.cpp)
target_link_libraries(batch_test PRIVATE avpost_pipeline)
target_compile_definitions(batch_test PRIVATE AVPOST_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
avpost_add_e2e_test(batch_run_test ${CMAKE_CURRENT_LIST_DIR}/batch_run_test.cpp)
# The pipeline library itself (run_job with an observer), not through the binary.
avpost_add_test(job_pipeline_test ${CMAKE_CURRENT_LIST_DIR}/job_pipeline_test.cpp)
target_link_libraries(job_pipeline_test PRIVATE avpost_pipeline)
# The webhook deliverer's retry schedule and options (pipeline/webhook_delivery.hpp).
avpost_add_test(webhook_schedule_test ${CMAKE_CURRENT_LIST_DIR}/webhook_schedule_test.cpp)
target_link_libraries(webhook_schedule_test PRIVATE avpost_pipeline)
