# The avpost program as a user meets it: inputs kept, values checked first, one vocabulary,
# mistakes answered with help (issue 16).
avpost_add_test(cli_test ${CMAKE_CURRENT_LIST_DIR}/cli_test.cpp ${CMAKE_SOURCE_DIR}/tests/support/media_helpers.cpp)
avpost_add_test(core_status_line_test ${CMAKE_CURRENT_LIST_DIR}/status_line_test.cpp)
