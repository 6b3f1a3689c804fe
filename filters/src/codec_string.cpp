#include "codec_string.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "avpost/core/error.hpp"

namespace avpost::filters {
namespace {

[[noreturn]] void no_parameter_sets(const char* codec) {
    throw OutputError(ErrorDomain::input, std::string(codec) + " stream", 0,
                      "has no parameter sets to state its CODECS from");
}

// The payload of the first NAL unit of `type` in Annex B data, emulation prevention removed.
std::optional<std::vector<std::uint8_t>> annexb_nal(const std::uint8_t* data, int size, int type, bool hevc) {
    for (int i = 0; i + 3 < size; ++i) {
        if (!(data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)) continue;
        const int start = i + 3;
        const int nal_type = hevc ? (data[start] >> 1) & 0x3f : data[start] & 0x1f;
        if (nal_type != type) continue;
        std::vector<std::uint8_t> payload;
        int zeros = 0;
        for (int j = start; j < size; ++j) {
            if (zeros >= 2 && data[j] == 3) {  // emulation prevention byte
                zeros = 0;
                continue;
            }
            if (zeros >= 2 && data[j] <= 1) break;  // the next start code
            zeros = data[j] == 0 ? zeros + 1 : 0;
            payload.push_back(data[j]);
        }
        return payload;
    }
    return std::nullopt;
}

std::string h264(const AVCodecParameters& p) {
    std::uint8_t profile = 0, constraints = 0, level = 0;
    if (p.extradata_size >= 4 && p.extradata[0] == 1) {  // avcC
        profile = p.extradata[1], constraints = p.extradata[2], level = p.extradata[3];
    } else if (auto sps = annexb_nal(p.extradata, p.extradata_size, 7, false); sps && sps->size() >= 4) {
        profile = (*sps)[1], constraints = (*sps)[2], level = (*sps)[3];
    } else {
        no_parameter_sets("h264");
    }
    char text[16];
    std::snprintf(text, sizeof text, "avc1.%02x%02x%02x", profile, constraints, level);
    return text;
}

// hvc1.<profile space><profile>.<compatibility flags, bits reversed>.<tier><level>.<constraint
// bytes, trailing zero bytes left out> (ISO/IEC 14496-15 annex E).
std::string hevc(const AVCodecParameters& p) {
    const std::uint8_t* ptl = nullptr;  // general_profile_space .. general_level_idc: 12 bytes
    std::vector<std::uint8_t> sps;
    if (p.extradata_size >= 13 && p.extradata[0] == 1) {  // hvcC
        ptl = p.extradata + 1;
    } else if (auto nal = annexb_nal(p.extradata, p.extradata_size, 33, true); nal && nal->size() >= 15) {
        sps = std::move(*nal);
        ptl = sps.data() + 3;  // after the two-byte NAL header and the VPS id / sub-layer byte
    } else {
        no_parameter_sets("hevc");
    }
    const int space = ptl[0] >> 6, tier = (ptl[0] >> 5) & 1, profile = ptl[0] & 0x1f;
    std::uint32_t compatibility = 0;
    for (int i = 0; i < 4; ++i) compatibility = compatibility << 8 | ptl[1 + i];
    std::uint32_t reversed = 0;
    for (int bit = 0; bit < 32; ++bit)
        if (compatibility & (1u << bit)) reversed |= 1u << (31 - bit);
    char text[64];
    int n = std::snprintf(text, sizeof text, "hvc1.%s%d.%X.%c%d", space ? std::string(1, char('A' + space - 1)).c_str() : "",
                          profile, reversed, tier ? 'H' : 'L', ptl[11]);
    int last = 5;
    while (last >= 0 && ptl[5 + last] == 0) --last;
    for (int i = 0; i <= last && n < int(sizeof text) - 4; ++i) n += std::snprintf(text + n, sizeof text - n, ".%02X", ptl[5 + i]);
    return text;
}

}  // namespace

std::string codec_string(const AVCodecParameters& p) {
    switch (p.codec_id) {
        case AV_CODEC_ID_H264: return h264(p);
        case AV_CODEC_ID_HEVC: return hevc(p);
        case AV_CODEC_ID_AAC: return "mp4a.40." + std::to_string(p.profile >= 0 ? p.profile + 1 : 2);
        default: break;
    }
    throw OutputError(ErrorDomain::input, std::string(avcodec_get_name(p.codec_id)) + " stream", 0,
                      "has no HLS CODECS string here");
}

}  // namespace avpost::filters
