# The Debian package: `cmake --build build --target package` or
# `cd build && cpack -G DEB` builds blink_<version>_<arch>.deb from the
# "runtime" install component:
#   /usr/bin/{blinkd,blink-sim,blinkctl}     (CPack installs under /usr)
#   /usr/share/blink/web/                    the page
#   /usr/share/doc/blink/README.md
#   /lib/systemd/system/blinkd.service       ExecStart=/usr/bin/blinkd
#   /etc/blink/blink.toml                    a conffile (dpkg keeps local edits)
# Depends is worked out by dpkg-shlibdeps from the binaries (package dpkg-dev).
#   /usr/share/blink/models/realbogus-default.json   the default real/bogus model
#
# The unit and the configuration go to absolute system paths. They are
# EXCLUDE_FROM_ALL so a plain `cmake --install build --prefix DIR` (a
# developer's install) never writes to /etc or /lib; CPack installs the whole
# component, and so does `cmake --install build --component runtime`.
install(FILES ${PROJECT_SOURCE_DIR}/systemd/blinkd.service
        DESTINATION /lib/systemd/system COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/config/blink.toml
        DESTINATION /etc/blink COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION share/doc/blink COMPONENT runtime)

# Like `make install`, `package` and cpack first bring `all` up to date
# (CPack's "preinstall" step); only the runtime component is packaged.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME blink)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Blink maintainers <blink@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "real-time difference-imaging daemon for sky surveys")
set(CPACK_PACKAGE_DESCRIPTION
    "blinkd subscribes to a stream of exposures over ZeroMQ, subtracts a reference image\n\
of the same field (ZOGY or Alard-Lupton), detects, measures and scores what changed,\n\
and publishes candidates; blinkctl shows its status; blink-sim simulates a night.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debian ships stripped binaries (debug symbols would triple the package).
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};runtime;/")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/blink")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
