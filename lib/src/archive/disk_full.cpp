#include "avpost/archive/disk_full.hpp"

#include <cerrno>
#include <cstring>

namespace avpost::archive {

bool is_disk_full_errno(int errno_value) {
    return errno_value == ENOSPC || errno_value == EDQUOT || errno_value == EFBIG;
}

bool is_disk_full(const Error& error) {
    if (dynamic_cast<const DiskFull*>(&error)) return true;
    return error.domain() == ErrorDomain::system && is_disk_full_errno(int(error.code()));
}

std::string disk_full_text(int errno_value) {
    std::string what;
    switch (errno_value) {
        case EDQUOT: what = "the disk quota is used up"; break;
        case EFBIG: what = "the file size limit is reached, as on a full disk"; break;
        default: what = "the disk is full"; break;
    }
    what += " (";
    what += errno_value != 0 ? std::strerror(errno_value) : std::strerror(ENOSPC);
    return what + "); free some space and run again";
}

void throw_disk_full(std::string where, ErrorDomain domain, std::int64_t code, int errno_value) {
    throw DiskFull(domain, std::move(where), code, disk_full_text(errno_value));
}

}  // namespace avpost::archive
