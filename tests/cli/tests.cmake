# The avpost program as a user meets it: inputs kept, values checked first, one vocabulary,
# mistakes answered with help (issue 16).
avpost_add_test(cli_test ${CMAKE_CURRENT_LIST_DIR}/cli_test.cpp)
avpost_add_test(core_status_line_test ${CMAKE_CURRENT_LIST_DIR}/status_line_test.cpp)

if(NOT AVPOST_END_TO_END_TESTS)
  return()
endif()

# Every command's --json output against its schema in docs/json/ (Debian's python3-jsonschema),
# against the local sandbox and media made with lavfi.
add_test(NAME JsonOutputsMatchSchemas
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/json_outputs_test.py $<TARGET_FILE:avpost>
                 ${CMAKE_SOURCE_DIR}/docs ${CMAKE_CURRENT_BINARY_DIR}/json-outputs)
set_tests_properties(JsonOutputsMatchSchemas PROPERTIES TIMEOUT 300)

# The man page and bash completion the build made from the option tables (tools/cli_reference.cpp):
# render without warnings, list what --help lists, complete in bash, install where they belong.
add_test(NAME ManPageAndBashCompletion
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/reference_test.sh $<TARGET_FILE:avpost> ${CMAKE_BINARY_DIR}/avpost.1
                 ${CMAKE_BINARY_DIR}/avpost.bash-completion ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/reference)
set_tests_properties(ManPageAndBashCompletion PROPERTIES TIMEOUT 120)
set_tests_properties(JsonOutputsMatchSchemas ManPageAndBashCompletion PROPERTIES LABELS e2e)
