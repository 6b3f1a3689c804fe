#pragma once
// Internal: the gallery's page, style sheet and script, built into the library from
// lib/src/archive/gallery_page/ at build time (embed_gallery_page.cmake).
#include <string_view>

namespace avpost::archive::gallery_web {

std::string_view index_html();
std::string_view css();
std::string_view javascript();

}  // namespace avpost::archive::gallery_web
