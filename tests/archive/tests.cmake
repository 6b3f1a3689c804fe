# The archive: catalog, local and S3 stores, SigV4, and the archive commands. S3 tests run
# against s3rver (npm) on 127.0.0.1, installed by scripts/setup.sh into build*/npm; the SigV4
# signer is checked against Debian's python3-botocore.
avpost_add_test(archive_catalog_test ${CMAKE_CURRENT_LIST_DIR}/catalog_test.cpp)
avpost_add_test(archive_local_store_test ${CMAKE_CURRENT_LIST_DIR}/local_store_test.cpp)
avpost_add_test(archive_sigv4_test ${CMAKE_CURRENT_LIST_DIR}/sigv4_test.cpp)
target_compile_definitions(archive_sigv4_test PRIVATE AVPOST_ARCHIVE_TEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
