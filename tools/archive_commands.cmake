# `avpost archive ls|verify`.
target_sources(avpost PRIVATE ${CMAKE_CURRENT_LIST_DIR}/archive_command.cpp)
