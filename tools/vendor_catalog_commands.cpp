// avpost avatars / poses / voices / videos: what the vendors offer and what was rendered.
#include <iostream>

#include "avpost/net/redact.hpp"
#include "vendor_common.hpp"

namespace avpost::tool {

CommandSpec avatars_command() {
    return {"avatars", "List the vendor's avatars (A2V: with their poses)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor;
                    int from = 0, type = 0;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"akool", "a2v"});
                sub.add_option("--from", o->from, "Akool: 2 Akool's avatars, 3 your own (default: all)")
                    ->check(CLI::IsMember({2, 3}));
                sub.add_option("--type", o->type, "Akool: 1 talking, 2 streaming avatars (default: all)")
                    ->check(CLI::IsMember({1, 2}));
                return [o, &global] {
                    auto env = VendorEnvironment::from_env();
                    nlohmann::json out = {{"vendor", o->vendor}, {"avatars", nlohmann::json::array()}};
                    if (o->vendor == "akool") {
                        net::akool::AvatarListQuery q;
                        if (o->from) q.from = o->from;
                        if (o->type) q.type = o->type;
                        for (const auto& a : make_akool_client(env).list_all_avatars(q)) {
                            nlohmann::json j = a;
                            j["url"] = net::redact_url(a.url);
                            j["thumbnailUrl"] = net::redact_url(a.thumbnail_url);
                            out["avatars"].push_back(j);
                            if (!global.json) std::cout << a.avatar_id << "\t" << a.name << "\tfrom=" << a.from << "\n";
                        }
                    } else {
                        for (const auto& a : make_a2v_client(env).list_avatars()) {
                            nlohmann::json j = a;
                            j["preview_url"] = net::redact_url(a.preview_url);
                            std::string poses;
                            for (auto& p : j["poses"]) {
                                p["preview_url"] = net::redact_url(p["preview_url"].get<std::string>());
                                poses += (poses.empty() ? "" : ",") + p["pose_id"].get<std::string>();
                            }
                            out["avatars"].push_back(j);
                            if (!global.json)
                                std::cout << a.id << "\t" << a.display_name << "\t" << a.avatar_type << "\tposes=" << poses << "\n";
                        }
                    }
                    if (global.json) print_json(out);
                    return 0;
                };
            }};
}

CommandSpec poses_command() {
    return {"poses", "List the poses of an A2V avatar", [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor, avatar;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"a2v"});
                sub.add_option("--avatar", o->avatar, "Avatar id (from `avpost avatars --vendor a2v`)")->required();
                return [o, &global] {
                    auto env = VendorEnvironment::from_env();
                    nlohmann::json out = {{"vendor", "a2v"}, {"avatar", o->avatar}, {"poses", nlohmann::json::array()}};
                    for (const auto& p : make_a2v_client(env).list_poses(o->avatar)) {
                        out["poses"].push_back({{"pose_id", p.pose_id}, {"name", p.name},
                                                {"preview_url", net::redact_url(p.preview_url)}});
                        if (!global.json) std::cout << p.pose_id << "\t" << p.name << "\n";
                    }
                    if (global.json) print_json(out);
                    return 0;
                };
            }};
}

CommandSpec voices_command() {
    return {"voices", "List Akool's voices (for input_text elements)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string vendor;
                    int from = 3;
                };
                auto o = std::make_shared<Opts>();
                add_vendor_option(sub, o->vendor, {"akool"});
                sub.add_option("--from", o->from, "3 Akool's voices (default), 4 your own")->check(CLI::IsMember({3, 4}));
                return [o, &global] {
                    auto env = VendorEnvironment::from_env();
                    nlohmann::json out = {{"vendor", "akool"}, {"voices", nlohmann::json::array()}};
                    for (const auto& v : make_akool_client(env).list_voices(o->from)) {
                        out["voices"].push_back({{"voice_id", v.voice_id}, {"name", v.name},
                                                 {"preview_url", net::redact_url(v.preview)}});
                        if (!global.json) std::cout << v.voice_id << "\t" << v.name << "\n";
                    }
                    if (global.json) print_json(out);
                    return 0;
                };
            }};
}

CommandSpec videos_command() {
    return {"videos", "List the A2V videos of the account", [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                auto vendor = std::make_shared<std::string>();
                add_vendor_option(sub, *vendor, {"a2v"});
                return [vendor, &global] {
                    auto env = VendorEnvironment::from_env();
                    nlohmann::json out = {{"vendor", "a2v"}, {"videos", nlohmann::json::array()}};
                    for (const auto& v : make_a2v_client(env).list_videos()) {
                        net::JobStatus s = net::to_job_status(v);
                        out["videos"].push_back(s);
                        if (!global.json) std::cout << s.id << "\t" << net::to_string(s.state) << "\t" << s.vendor_status << "\n";
                    }
                    if (global.json) print_json(out);
                    return 0;
                };
            }};
}

}  // namespace avpost::tool
