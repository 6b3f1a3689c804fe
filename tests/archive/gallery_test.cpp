// The gallery of `avpost serve` on a SQLite catalog, in process (the cases: gallery_cases.hpp).
// The browser test (gallery_browser_test.cpp) checks what a person sees.
#include "gallery_cases.hpp"

namespace avpost::test::gallery_cases {

struct SqliteCatalogFile {
    static std::string location() { return {}; }  // the archive's own catalog.db
};
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, Gallery, ::testing::Types<SqliteCatalogFile>);

}  // namespace avpost::test::gallery_cases
