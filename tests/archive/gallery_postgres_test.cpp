// The gallery of `avpost serve` on a PostgreSQL catalog (a fleet's), the same cases as on SQLite
// (gallery_cases.hpp), against a throwaway PostgreSQL 15 (tests/support/postgres_server.hpp).
#include "gallery_cases.hpp"
#include "postgres_server.hpp"

namespace {

[[maybe_unused]] auto* const postgres = ::testing::AddGlobalTestEnvironment(new avpost::test::PostgresEnvironment);

}  // namespace

namespace avpost::test::gallery_cases {

struct PostgresDatabase {
    static std::string location() { return fresh_database(); }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, Gallery, ::testing::Types<PostgresDatabase>);

}  // namespace avpost::test::gallery_cases
