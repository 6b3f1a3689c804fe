#include "avpost/archive/archiver.hpp"

#include <algorithm>
#include <array>

#include "avpost/core/sha256.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/media/video_source.hpp"
#include "avpost/net/retry_rule.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace avpost::archive {
// Renders and composites must decode before they count as archived. Deliveries are checked when
// written; only their video files are probed again (a poster, an animated WebP preview, which
// FFmpeg 5.1 cannot decode, or HLS playlists are not videos to probe).
bool should_probe(std::string_view kind, const std::filesystem::path& file) {
    if (kind == "avatar" || kind == "mask" || kind == "composite") return true;
    if (kind != "delivery") return false;
    // An fMP4 HLS init segment (NAME-hls/720p_init.mp4) holds the headers and no frame: it was
    // read with its segments through the playlist when written.
    if (file.parent_path().filename().string().ends_with("-hls") && file.stem().string().ends_with("_init"))
        return false;
    static const std::array<std::string_view, 7> video_extensions{".mp4", ".mov", ".webm", ".mkv", ".m4v", ".avi", ".ts"};
    const std::string extension = file.extension().string();
    return std::find(video_extensions.begin(), video_extensions.end(), extension) != video_extensions.end();
}

MediaFacts probe_media(const std::filesystem::path& file, int frames) {
    media::VideoSource source(file.string(), "archived file");
    const media::VideoStreamInfo& info = source.info();
    media::FramePtr frame = media::make_frame();
    int decoded = 0;
    while (decoded < frames && source.next(frame.get())) ++decoded;
    if (decoded == 0) throw_input("probe '" + file.string() + "'", "no video frame could be decoded");
    MediaFacts m;
    m.codec = avcodec_get_name(info.codec_id);
    m.width = info.width;
    m.height = info.height;
    m.duration_seconds = info.duration_seconds;
    m.frame_rate = info.frame_rate.num > 0 && info.frame_rate.den > 0 ? av_q2d(info.frame_rate) : 0.0;
    return m;
}

StoredFacts archive_claimed_file(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed,
                                 std::string_view owner, const FileRecord& file, const JobLease* fence) {
    try {
        JobRecord job = catalog.job(claimed.job_id);
        StoredFacts facts;
        facts.media = file.media;
        if (!facts.media && should_probe(claimed.kind, file.path)) facts.media = probe_media(file.path);
        facts.store_key = asset_store_key(job.vendor, job.created_at, job.vendor_job_id, claimed.name);
        ObjectInfo confirmed;
        try {
            confirmed = store.put(file.path, facts.store_key, file.sha256, file.bytes);
        } catch (const ContentChanged& e) {
            catalog.release(claimed.id, owner, "the local copy changed after it was downloaded or written: " + e.detail(),
                            true);
            throw;
        }
        facts.size = confirmed.size;
        facts.sha256 = confirmed.sha256;
        facts.store_uri = store.uri();
        if (fence) catalog.mark_stored(claimed.id, owner, facts, *fence);
        else catalog.mark_stored(claimed.id, owner, facts);
        return facts;
    } catch (const Error& e) {
        // release() only acts while `owner` still holds the claim, so a second call is harmless.
        if (!is_catalog_error(e) && !dynamic_cast<const ClaimLost*>(&e)) catalog.release(claimed.id, owner, e.what(), net::is_transient(e));
        throw;
    } catch (const std::exception& e) {
        catalog.release(claimed.id, owner, e.what(), true);
        throw;
    }
}

StoredFacts archive_claimed_file(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed,
                                 std::string_view owner, const std::filesystem::path& file) {
    FileRecord record;
    try {
        record = record_file(claimed.kind, claimed.name, file);
    } catch (const Error& e) {
        catalog.release(claimed.id, owner, e.what(), net::is_transient(e));
        throw;
    }
    return archive_claimed_file(catalog, store, claimed, owner, record);
}

StoreOutcome store_and_verify(Catalog& catalog, ArchiveStore& store, const AssetRecord& claimed, std::string_view owner,
                              const FileRecord& file, const JobLease* fence) {
    StoreOutcome out;
    out.facts = archive_claimed_file(catalog, store, claimed, owner, file, fence);
    // Only what the store returns with the recorded hash counts as archived.
    out.mismatch = read_back_mismatch(store.rehash(out.facts.store_key), out.facts.size, out.facts.sha256);
    out.verified = out.mismatch.empty();
    if (out.verified) catalog.mark_verified(claimed.id);
    else catalog.mark_verify_failed(claimed.id, "verify after store: " + out.mismatch);
    return out;
}

std::string read_back_mismatch(const ObjectDigest& d, std::optional<std::int64_t> size, const std::string& sha256) {
    std::string diff;
    const auto add = [&](const std::string& what) { diff += (diff.empty() ? "" : "; ") + what; };
    if (!size || d.size != *size)
        add("size " + std::to_string(d.size) + " != catalog " + (size ? std::to_string(*size) : "?"));
    if (d.sha256 != sha256) add("sha256 " + d.sha256 + " != catalog " + sha256);
    if (!d.recorded_sha256.empty() && d.recorded_sha256 != sha256)
        add("store metadata sha256 " + d.recorded_sha256 + " != catalog " + sha256);
    return diff;
}

std::string_view to_string(VerifyStatus status) {
    switch (status) {
        case VerifyStatus::ok: return "ok";
        case VerifyStatus::mismatch: return "mismatch";
        case VerifyStatus::missing: return "missing";
        case VerifyStatus::error: return "error";
    }
    return "unknown";
}

VerifyReport check_assets(Catalog& catalog, std::optional<int> sample, const StoreOpener& open) {
    VerifyReport report;
    for (ListRow& row : catalog.verify_candidates(sample)) {
        VerifyOutcome out;
        out.row = std::move(row);
        const AssetRecord& a = out.row.asset;
        try {
            ArchiveStore& store = open(a.store_uri);
            ObjectDigest d = store.rehash(a.store_key);
            out.size = d.size;
            out.sha256 = d.sha256;
            std::string diff = read_back_mismatch(d, a.size, a.sha256);
            if (diff.empty()) {
                out.status = VerifyStatus::ok;
            } else {
                out.status = VerifyStatus::mismatch;
                out.detail = diff;
            }
        } catch (const Error& e) {
            // A missing file is reported as input "... is missing"; anything else is an error
            // reaching the store, which must not be mistaken for a verified file either.
            bool missing = e.domain() == ErrorDomain::input && e.detail().find("missing") != std::string::npos;
            out.status = missing ? VerifyStatus::missing : VerifyStatus::error;
            out.detail = e.what();
        }
        if (out.status == VerifyStatus::ok) ++report.ok;
        else ++report.bad;
        report.items.push_back(std::move(out));
    }
    return report;
}

void record_verify_results(Catalog& catalog, const VerifyReport& report) {
    for (const VerifyOutcome& out : report.items) {
        if (out.status == VerifyStatus::ok) catalog.mark_verified(out.row.asset.id);
        else if (out.status != VerifyStatus::error) catalog.mark_verify_failed(out.row.asset.id, "verify: " + out.detail);
    }
}

VerifyReport verify_assets(Catalog& catalog, std::optional<int> sample, const StoreOpener& open) {
    VerifyReport report = check_assets(catalog, sample, open);
    record_verify_results(catalog, report);
    return report;
}

nlohmann::json to_json(const VerifyOutcome& o) {
    return {{"asset_id", o.row.asset.id},
            {"vendor", o.row.job.vendor},
            {"vendor_job_id", o.row.job.vendor_job_id},
            {"name", o.row.asset.name},
            {"store_uri", o.row.asset.store_uri},
            {"store_key", o.row.asset.store_key},
            {"status", std::string(to_string(o.status))},
            {"detail", o.detail.empty() ? nlohmann::json() : nlohmann::json(o.detail)},
            {"expected_bytes", o.row.asset.size ? nlohmann::json(*o.row.asset.size) : nlohmann::json(nullptr)},
            {"expected_sha256", o.row.asset.sha256},
            {"bytes", o.size},
            {"sha256", o.sha256}};
}

}  // namespace avpost::archive
