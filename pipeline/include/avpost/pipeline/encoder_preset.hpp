#pragma once
// The encoder speed preset of `compose --encoder-preset` and a job's composite.preset.
#include <string>

namespace avpost::pipeline {

// x264 and x265 take only their named presets (ultrafast ... placebo); other encoders get the
// value as it is. Throws Error(usage) naming `field` for an unknown name, with a hint when it is
// a delivery preset ("'web' is a delivery preset: use --deliver web (the encoder's speed preset
// is --encoder-preset ...)").
void check_encoder_preset(const std::string& preset, const std::string& vcodec, const std::string& field,
                          const std::string& deliver_hint, const std::string& encoder_field);

}  // namespace avpost::pipeline
