#include "local_run.hpp"

#include <cstdlib>
#include <set>

#include "avpost/archive/store.hpp"
#include "avpost/core/interrupt.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

void add_local_run_options(CLI::App& sub, LocalRunFlags& flags, bool with_catalog) {
    sub.add_flag("--force", flags.force, "Run every stage again, even those done before");
    sub.add_option("--output-root", flags.output_root,
                   "Where jobs without an \"output\" go: OUTPUT_ROOT/NAME (default: out)");
    sub.add_option("--archive", flags.archive_dir,
                   "Archive of jobs without \"archive.root\" (default: $AVPOST_ARCHIVE, else OUTPUT/archive)");
    if (with_catalog)
        sub.add_option("--catalog", flags.catalog,
                       "Catalog of stage records, jobs and files: a path or postgresql:// URI (default: "
                       "$AVPOST_CATALOG, else ARCHIVE/catalog.db)");
    sub.add_option("--webhook-listen", flags.webhook_listen,
                   "Receive Akool's callbacks (the request's webhookUrl) on [HOST:]PORT (default host "
                   "127.0.0.1): a callback ends its job's wait at once; polling becomes the fallback");
}

pipeline::RunOptions local_run_options(const LocalRunFlags& flags) {
    pipeline::RunOptions options;
    options.env = pipeline::VendorEnvironment::from_env();
    options.catalog = flags.catalog;
    options.parse.default_output_root = flags.output_root;
    if (const char* env = std::getenv("AVPOST_ARCHIVE"); !flags.archive_dir.empty() || (env && *env))
        options.parse.default_archive_root = archive::archive_root(flags.archive_dir);
    options.force = flags.force;
    options.claims = std::make_shared<pipeline::OutputClaims>();
    // One listener for the whole run: jobs waiting at once share its port.
    if (!flags.webhook_listen.empty()) options.webhooks = std::make_shared<pipeline::WebhookListener>(flags.webhook_listen);
    return options;
}

int exit_code_of(const pipeline::JobReport& r) {
    if (r.ok) return exit_ok;
    if (r.interrupted) return exit_interrupted;
    if (!r.failure) return exit_failure;
    try {
        std::rethrow_exception(r.failure);
    } catch (const Error& e) {
        return exit_code_for(e);
    } catch (...) {
        return exit_failure;
    }
}

int combined_exit_code(const std::vector<pipeline::JobReport>& reports) {
    std::set<int> codes;
    for (const pipeline::JobReport& r : reports)
        if (!r.ok) codes.insert(exit_code_of(r));
    if (interrupted()) return exit_interrupted;
    if (codes.empty()) return exit_ok;
    return codes.size() == 1 ? *codes.begin() : exit_failure;
}

}  // namespace avpost::tool
