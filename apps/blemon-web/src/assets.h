#pragma once

#include <optional>
#include <string_view>

namespace blemon::web {

struct Asset {
  std::string_view body;
  std::string_view content_type;
};

// The dashboard's files (apps/blemon-web/assets), built into the binary by embed_assets.cmake so
// the page needs nothing installed beside it. `name` is the file name: "index.html", "app.js".
std::optional<Asset> EmbeddedAsset(std::string_view name);

}  // namespace blemon::web
