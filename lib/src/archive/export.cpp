#include "avpost/archive/export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "avpost/core/sha256.hpp"
#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"

namespace avpost::archive {
namespace fs = std::filesystem;

std::vector<JobRecord> find_jobs(Catalog& catalog, std::string_view id, std::string_view vendor) {
    std::vector<JobRecord> out;
    for (std::string_view v : {std::string_view("akool"), std::string_view("a2v")}) {
        if (!vendor.empty() && v != vendor) continue;
        if (auto job = catalog.find_job(v, id)) out.push_back(*job);
    }
    return out;
}

std::vector<ExportedFile> export_job(Catalog& catalog, const JobRecord& job, const fs::path& directory,
                                     const StoreOpener& open) {
    std::vector<ListRow> rows;
    for (ListRow& row : catalog.list())
        if (row.job.id == job.id && (row.asset.state == AssetState::stored || row.asset.state == AssetState::verified))
            rows.push_back(std::move(row));
    if (rows.empty())
        throw_input("export " + job.vendor + " job " + job.vendor_job_id, "no file of this job is stored in the archive");
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec) throw_errno("create '" + directory.string() + "'", ec.value());

    std::vector<ExportedFile> out;
    for (const ListRow& row : rows) {
        const AssetRecord& a = row.asset;
        fs::path target = directory / a.name;
        if (fs::exists(target, ec)) {
            FileDigest d = sha256_file(target);
            if (d.sha256 == a.sha256 && a.size && d.size == *a.size) {
                out.push_back({a.id, a.name, target, d.size, d.sha256});
                continue;  // already exported: identical
            }
            throw_input("export '" + target.string() + "'", "a different file of that name is already there");
        }
        ArchiveStore& store = open(a.store_uri);
        AtomicOutput output(target);
        int fd = ::open(output.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw_errno("create '" + output.temp_path().string() + "'", errno);
        std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) {
            if (*f >= 0) ::close(*f);
        });
        ObjectDigest d = store.read(a.store_key, [&](const char* data, std::size_t n) {
            while (n > 0) {
                ssize_t w = ::write(fd, data, n);
                if (w < 0) {
                    if (errno == EINTR) continue;
                    throw OutputError(ErrorDomain::system, "write '" + output.temp_path().string() + "'", errno,
                                      std::strerror(errno));
                }
                data += w;
                n -= std::size_t(w);
            }
        });
        if (::close(fd) != 0) {
            fd = -1;
            throw_errno("close '" + output.temp_path().string() + "'", errno);
        }
        fd = -1;
        if (d.sha256 != a.sha256 || !a.size || d.size != *a.size)
            throw_input("export " + a.store_uri + "/" + a.store_key,
                        "the stored copy has " + std::to_string(d.size) + " bytes, sha256 " + d.sha256 +
                            "; the catalog says " + (a.size ? std::to_string(*a.size) : "?") + " bytes, sha256 " +
                            a.sha256 + " (run `avpost archive verify`)");
        output.commit();
        out.push_back({a.id, a.name, target, d.size, d.sha256});
    }
    return out;
}

}  // namespace avpost::archive
