# The archive: the catalog (SQLite by default, PostgreSQL for a fleet), local and S3 stores
# (SigV4 over libcurl), verify.
target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/catalog_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pg_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/job_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_outbox.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_payload.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disk_full.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_liveness.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/local_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sigv4.cpp
  ${CMAKE_CURRENT_LIST_DIR}/s3_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/file_record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/archiver.cpp
)
target_link_libraries(avpost_lib PUBLIC SQLite::SQLite3 PostgreSQL::PostgreSQL CURL::libcurl OpenSSL::Crypto)
# `avpost archive sync|add|export` and `avpost serve`: fetching vendor links into the archive.
target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fetcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/staging_cleanup.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sync.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unarchived.cpp
  ${CMAKE_CURRENT_LIST_DIR}/export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/repair.cpp
  ${CMAKE_CURRENT_LIST_DIR}/webhook_receiver.cpp
)
# `avpost serve`'s gallery: queries, access, file serving and the page built into the library.
set(gallery_page_dir ${CMAKE_CURRENT_LIST_DIR}/gallery_page)
set(gallery_page_cpp ${CMAKE_CURRENT_BINARY_DIR}/gallery_page_files.cpp)
add_custom_command(
  OUTPUT ${gallery_page_cpp}
  COMMAND ${CMAKE_COMMAND} -DDIR=${gallery_page_dir} -DOUTPUT=${gallery_page_cpp}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_gallery_page.cmake
  DEPENDS ${gallery_page_dir}/index.html ${gallery_page_dir}/gallery.css ${gallery_page_dir}/gallery.js
          ${CMAKE_CURRENT_LIST_DIR}/embed_gallery_page.cmake
  COMMENT "Embedding the gallery page")
target_sources(avpost_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/gallery_queries.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gallery_queries_sqlite.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gallery_queries_pg.cpp
  ${CMAKE_CURRENT_LIST_DIR}/access_tokens.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gallery_access.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gallery_files.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gallery_server.cpp
  ${gallery_page_cpp}
)
target_include_directories(avpost_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR})
