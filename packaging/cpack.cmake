# CPack: one .deb and one .rpm per install component of components.cmake, so that a proxy-only
# host installs neither libtorch nor CUDA.
# Versions come from project(); dependencies on system libraries are computed from the binaries
# (dpkg-shlibdeps for .deb, rpmbuild's ELF dependency generator for .rpm).

# The changelog's newest entry must name the version being packaged.
file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/debian/changelog" _newest LIMIT_COUNT 1)
if(NOT _newest MATCHES "^disaggd \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/debian/changelog: the first entry is '${_newest}', expected "
    "version ${PROJECT_VERSION} from project(): add an entry for it")
endif()

set(CPACK_PACKAGE_NAME disaggd)
set(CPACK_PACKAGE_VENDOR "disaggd developers")
set(CPACK_PACKAGE_CONTACT "disaggd developers <disaggd@lists.example.org>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_CURRENT_SOURCE_DIR}/cpack_per_generator.cmake")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)  # one package per component

set(CPACK_COMPONENTS_ALL ${DISAGGD_PACKAGE_COMPONENTS})  # components.cmake

# Package descriptions. A Debian extended description is the text after the first line.
set(_runtime_summary "LLM serving daemon with prefill/decode disaggregation")
set(_runtime_text "disaggd serves large language models through an OpenAI-style HTTP API. One
daemon runs as proxy, prefill, decode or hybrid node; the proxy routes each
request, prefill nodes run prompts and decode nodes pull their KV caches.
This package holds the daemon, the routing plugins, the tcp KV migration
plugin, the sim model backend, the configurations in /etc/disaggd and the
disaggd@.service systemd template. Model backends come in their own packages.")
set(_torch_summary "libtorch model backend for disaggd")
set(_torch_text "The torch model backend plugin: Llama, Qwen2 and Qwen3 models from Hugging Face
folders on the CPU through libtorch, with a paged KV cache and its own AVX2
kernels. Install it on prefill, decode and hybrid nodes.")
set(_dev_summary "plugin SDK for disaggd")
set(_dev_text "The plugin ABI headers, the header-only C++ SDK and the CMake package
disaggd-plugin-sdk (disaggd_add_plugin()) for building routing, migration and
model backend plugins, with an example routing plugin.")
set(_cuda_summary "CUDA plugins for disaggd")
set(_cuda_text "The CUDA model backend and the CUDA IPC KV migration plugin.")
set(_rdma_summary "RDMA KV migration plugin for disaggd")
set(_rdma_text "KV cache migration over RDMA (rdma-core verbs).")

set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_AUTOPROV OFF)  # plugins are not libraries for others to link
set(CPACK_PACKAGE_RELOCATABLE OFF)  # /etc and /usr/lib/systemd are fixed paths: no rpm Prefix:
# Directories other packages (filesystem, systemd, man) own: never claimed by ours.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /usr/lib/systemd /usr/lib/systemd/system /usr/share/man /usr/share/man/man1 /usr/share/cmake
  /usr/local /usr/local/lib)

foreach(component IN LISTS DISAGGD_PACKAGE_COMPONENTS)
  string(TOUPPER "${component}" upper)
  disaggd_package_name(package ${component})
  set(CPACK_DEBIAN_${upper}_PACKAGE_NAME "${package}")
  set(CPACK_RPM_${upper}_PACKAGE_NAME "${package}")
  set(CPACK_COMPONENT_${upper}_DISPLAY_NAME "${package}")
  set(CPACK_DEBIAN_${upper}_DESCRIPTION "${_${component}_summary}\n${_${component}_text}")
  set(CPACK_RPM_${upper}_PACKAGE_SUMMARY "${_${component}_summary}")
  set(CPACK_RPM_${upper}_PACKAGE_DESCRIPTION "${_${component}_text}")
  if(NOT component STREQUAL "runtime" AND NOT component STREQUAL "dev")
    # Plugins are built for one daemon version's ABI and private helpers.
    set(CPACK_DEBIAN_${upper}_PACKAGE_DEPENDS "disaggd (= ${PROJECT_VERSION})")
    set(CPACK_RPM_${upper}_PACKAGE_REQUIRES "disaggd = ${PROJECT_VERSION}")
    set(CPACK_DEBIAN_${upper}_PACKAGE_SECTION net)
  endif()
endforeach()

# The SDK is headers and CMake code: one package for every architecture.
set(CPACK_DEBIAN_DEV_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "disaggd, cmake, g++")
set(CPACK_RPM_DEV_PACKAGE_ARCHITECTURE noarch)

# The daemon package: the service user, configuration files kept across upgrades.
set(_scripts "${CMAKE_CURRENT_SOURCE_DIR}/scripts")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "disaggd-torch")
set(CPACK_RPM_RUNTIME_PACKAGE_REQUIRES_POST "shadow-utils")
set(CPACK_RPM_RUNTIME_POST_INSTALL_SCRIPT_FILE "${_scripts}/postinst")
set(CPACK_RPM_RUNTIME_PRE_UNINSTALL_SCRIPT_FILE "${_scripts}/prerm")
set(CPACK_RPM_RUNTIME_POST_UNINSTALL_SCRIPT_FILE "${_scripts}/postrm")
set(CPACK_RPM_RUNTIME_POST_TRANS_SCRIPT_FILE "${_scripts}/posttrans")
set(_deb_control_extra "${_scripts}/postinst;${_scripts}/prerm;${_scripts}/postrm")
if(DISAGGD_INSTALL_SYSTEM_FILES)
  set(_conffiles "")
  set(CPACK_RPM_RUNTIME_USER_FILELIST "%dir ${DISAGGD_ETC_DIR}")
  foreach(config IN LISTS DISAGGD_INSTALLED_CONFIGS)
    get_filename_component(name "${config}" NAME)
    string(APPEND _conffiles "${DISAGGD_ETC_DIR}/${name}\n")
    list(APPEND CPACK_RPM_RUNTIME_USER_FILELIST "%config(noreplace) ${DISAGGD_ETC_DIR}/${name}")
  endforeach()
  file(GLOB _templates RELATIVE "${PROJECT_SOURCE_DIR}/configs" "${PROJECT_SOURCE_DIR}/configs/chat_templates/*")
  foreach(template IN LISTS _templates)
    string(APPEND _conffiles "${DISAGGD_ETC_DIR}/${template}\n")
    list(APPEND CPACK_RPM_RUNTIME_USER_FILELIST "%config(noreplace) ${DISAGGD_ETC_DIR}/${template}")
  endforeach()
  file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/conffiles" "${_conffiles}")
  list(APPEND _deb_control_extra "${CMAKE_CURRENT_BINARY_DIR}/conffiles")
endif()
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA "${_deb_control_extra}")

include(CPack)
