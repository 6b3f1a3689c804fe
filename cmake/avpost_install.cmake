# What `cmake --install` puts where, and how `cpack` packs it for Debian.
#
# The libraries are static (libavpost.a, libavpost_filters.a, libavpost_pipeline.a): programs built against them need no
# avpost library at run time, only the Debian libraries avpost itself uses. find_package(avpost)
# gives avpost::avpost (both libraries and everything they need, found again by avpostConfig.cmake);
# pkg-config --cflags --libs avpost gives the same for other build systems.
include(CMakePackageConfigHelpers)

# One target for users: the job pipeline, the filters and the core library.
add_library(avpost_package INTERFACE)
set_target_properties(avpost_package PROPERTIES EXPORT_NAME avpost)
target_link_libraries(avpost_package INTERFACE avpost_pipeline avpost_filters avpost_lib)

set(AVPOST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/avpost)

install(TARGETS avpost RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS avpost_lib avpost_filters avpost_pipeline avpost_package EXPORT avpostTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/avpost ${PROJECT_SOURCE_DIR}/filters/include/avpost
                  ${PROJECT_SOURCE_DIR}/pipeline/include/avpost
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT avpostTargets NAMESPACE avpost:: DESTINATION ${AVPOST_CMAKE_DIR} COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/avpostConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/avpostConfig.cmake INSTALL_DESTINATION ${AVPOST_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/avpostConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/avpostConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/avpostConfigVersion.cmake
        DESTINATION ${AVPOST_CMAKE_DIR} COMPONENT dev)

# The .pc file finds its prefix from where it lies, so an unpacked or moved tree works too.
file(RELATIVE_PATH AVPOST_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${CMAKE_CURRENT_LIST_DIR}/avpost.pc.in ${CMAKE_CURRENT_BINARY_DIR}/avpost.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/avpost.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The fleet's systemd units, their environment file and docs/deploy.md (how to use them). The
# units and the file have absolute destinations and are EXCLUDE_FROM_ALL: only the runtime
# component's install (CPack's .deb) puts them in /lib/systemd/system and /etc/avpost, never a
# plain `cmake --install --prefix DIR`, which must not write outside DIR. The environment file
# holds secrets: 0600, and a dpkg conffile (packaging/debian/conffiles).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/avpost-worker@.service
              ${PROJECT_SOURCE_DIR}/packaging/systemd/avpost-serve.service
        DESTINATION /lib/systemd/system COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/avpost.env DESTINATION /etc/avpost
        PERMISSIONS OWNER_READ OWNER_WRITE COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deploy.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# Debian packages: avpost_VERSION_amd64.deb (the program; Depends computed by dpkg-shlibdeps from
# what it links) and avpost-dev_VERSION_amd64.deb (headers, static libraries, CMake and pkg-config
# files; Depends on the -dev packages they need).
set(CPACK_PACKAGE_NAME avpost)
set(CPACK_PACKAGE_VENDOR "avpost")
set(CPACK_PACKAGE_CONTACT "avpost maintainers <avpost@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Composites vendor-rendered avatars onto backgrounds and archives them")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME avpost)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# adduser: the postinst makes the avpost system user the units run as (added to the computed Depends).
# The fonts: text layers and burned captions draw with them (DejaVu: Latin, Greek, Cyrillic, Arabic,
# Hebrew; Noto CJK: Chinese, Japanese, Korean).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser, fonts-dejavu-core, fonts-noto-cjk")
# The maintainer scripts (systemd only when it runs; no unit enabled) and the conffile list.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME avpost-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "avpost (= ${PROJECT_VERSION}), libavcodec-dev, libavformat-dev, libavfilter-dev, libavutil-dev, libswscale-dev, libswresample-dev, libopencv-dev, libcurl4-openssl-dev, libssl-dev, libsqlite3-dev, libass-dev, libfontconfig-dev, nlohmann-json3-dev, libcpp-httplib-dev, prometheus-cpp-dev, pkg-config")
include(CPack)
