avpost_add_test(filters_test
  filters/placement_test.cpp
  filters/colour_test.cpp
  filters/composite_test.cpp
  filters/matte_test.cpp
  filters/decode_plan_test.cpp
  filters/backdrop_test.cpp
  filters/registry_test.cpp
  filters/option_tables_test.cpp
  filters/captions_test.cpp
  filters/webvtt_rendition_test.cpp
  filters/loudness_test.cpp
  filters/compose_plan_test.cpp
)
avpost_add_test(compose_test
  compose/compose_accuracy_test.cpp
  compose/compose_oracle_test.cpp
  compose/compose_errors_test.cpp
  compose/compose_timing_test.cpp
  compose/compose_outputs_test.cpp
  compose/compose_scene_test.cpp
  compose/compose_timed_layers_test.cpp
  compose/compose_text_layers_test.cpp
  compose/compose_programme_test.cpp
  compose/compose_reference_matrix_test.cpp
  compose/compose_key_test.cpp
  compose/compose_inputs_test.cpp
  compose/compose_fit_visible_test.cpp
  compose/luma_only_decode_test.cpp
)
# The keyer against ffmpeg's best on real-looking footage (skin, hair, dark and light): e2e.
avpost_add_e2e_test(compose_key_footage_test
  compose/compose_key_footage_test.cpp
)
avpost_add_test(filters_layers_test
  filters/layers_test.cpp
)
# Music under the voice: the bed's ducking, loop, fades and level on generated tones and voices.
avpost_add_test(filters_music_test
  filters/music_bed_test.cpp
  filters/music_options_test.cpp
)
# Right-to-left text against HarfBuzz's own shaping of the same string (HarfBuzz comes with libass).
pkg_check_modules(HARFBUZZ REQUIRED IMPORTED_TARGET harfbuzz)
avpost_add_test(filters_text_rtl_test
  filters/text_rtl_test.cpp
)
target_link_libraries(filters_text_rtl_test PRIVATE PkgConfig::HARFBUZZ)
