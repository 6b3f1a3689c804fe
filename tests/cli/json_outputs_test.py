#!/usr/bin/python3
"""Every command's --json output against its schema (docs/json/*.schema.json).

Runs each command that prints JSON against the local vendor sandbox and media made here with
ffmpeg's lavfi sources, then validates what it printed with python3-jsonschema. Each output is
also validated once more with one of its fields renamed, which must fail: the schemas are
strict (additionalProperties false, required fields), so a renamed field cannot slip through:
each field of each object is renamed in turn, and every such copy must fail.
Finally every schema file is used by some command and listed in docs/json.md.

Usage: json_outputs_test.py AVPOST DOCS_DIR WORK_DIR
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import jsonschema

AVPOST, DOCS, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
SCHEMAS = DOCS / "json"
A2V_TOKEN, AKOOL_SECRET = "json-test-token", "json-test-secret-24bytes"  # the sandbox's (24 bytes: AES-192)
avatar, mask, still = WORK / "avatar.mp4", WORK / "mask.mp4", WORK / "bg.png"
failures = []
used_schemas = set()


def schema(name):
    used_schemas.add(name)
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


# Objects whose keys are free-form (the sandbox's settings, a request as the vendor took it).
FREE_FORM = {"options", "request"}


def renamings(document):
    """Copies of the document with one field renamed ("_renamed" appended), one copy per field of
    the first object met at each place in the tree (a list's first item stands for the rest)."""
    def places(node, path):
        if isinstance(node, dict):
            yield path, node
            for key, value in node.items():
                if key not in FREE_FORM:
                    yield from places(value, path + [key])
        elif isinstance(node, list) and node:
            yield from places(node[0], path + [0])

    for path, node in list(places(document, [])):
        for key in list(node):
            copy = json.loads(json.dumps(document))
            target = copy
            for step in path:
                target = target[step]
            target[key + "_renamed"] = target.pop(key)
            yield "/".join(map(str, path + [key])), copy


def check(label, name, document):
    # Kept for whoever reads a failure: WORK/outputs/LABEL.json.
    (WORK / "outputs").mkdir(exist_ok=True)
    (WORK / "outputs" / (label.replace(" ", "_").replace("/", "_") + ".json")).write_text(json.dumps(document, indent=2))
    s = schema(name)
    validator = jsonschema.Draft202012Validator(s)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        failures.append(f"{label}: does not match docs/json/{name}.schema.json:\n" +
                        "\n".join(f"  at /{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10]) +
                        "\n  output: " + json.dumps(document)[:2000])
        return
    for field, renamed in renamings(document):
        if validator.is_valid(renamed):
            failures.append(f"{label}: renaming /{field} still matches docs/json/{name}.schema.json (not strict)")
    print(f"ok  {label} ({name})")


def avpost(*args, env=None, expect=0):
    r = subprocess.run([AVPOST, *args], capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != expect:
        raise AssertionError(f"avpost {' '.join(args)}: exit {r.returncode}, expected {expect}\n{r.stderr}{r.stdout}")
    return r.stdout


def json_of(*args, env=None, expect=0):
    out = avpost(*args, env=env, expect=expect)
    lines = [line for line in out.splitlines() if line.strip()]
    if len(lines) != 1:
        raise AssertionError(f"avpost {' '.join(args)}: {len(lines)} lines on stdout, not one JSON object:\n{out}")
    return json.loads(lines[0])


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)

    # Media made here: a 2 s avatar with sound, its matte, a still background.
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x96:r=25:d=2", "-f", "lavfi", "-i", "sine=f=440:d=2",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(avatar))
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=160x96:r=25:d=2,drawbox=x=0:y=0:w=40:h=96:color=black:t=fill",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(mask))
    ffmpeg("-f", "lavfi", "-i", "color=c=0x204060:s=320x180", "-frames:v", "1", str(still))

    # The sandbox: its own --json line says where it listens.
    sandbox = subprocess.Popen([AVPOST, "sandbox", "--port", "0", "--json", "--queue-seconds", "0.1",
                                "--process-seconds", "0.2", "--no-fetch-audio", "--size", "160x96",
                                "--a2v-token", A2V_TOKEN, "--akool-client-secret", AKOOL_SECRET],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        started = json.loads(sandbox.stdout.readline())
        check("sandbox", "sandbox", started)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AKOOL_", "A2V_", "AVPOST_"))}
        env.update(started["env"])
        env.update({"A2V_TOKEN": A2V_TOKEN, "AKOOL_API_KEY": AKOOL_SECRET,
                    "AVPOST_ARCHIVE": str(WORK / "archive"), "CI": "1"})
        run_commands(env)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def run_commands(env):
    avatars = json_of("avatars", "--vendor", "a2v", "--json", env=env)
    check("avatars --vendor a2v", "avatars", avatars)
    check("avatars --vendor akool", "avatars", json_of("avatars", "--vendor", "akool", "--json", env=env))
    check("poses", "poses", json_of("poses", "--vendor", "a2v", "--avatar", avatars["avatars"][0]["id"], "--json", env=env))
    check("voices", "voices", json_of("voices", "--vendor", "akool", "--json", env=env))

    audio = "http://127.0.0.1:9/voice.wav"
    started = json_of("render", "--vendor", "a2v", "--pose", "pose-kai-front", "--audio", audio, "--json", env=env)
    check("render", "job-status", started)
    check("wait", "job-status", json_of("wait", "--vendor", "a2v", started["id"], "--interval", "0.1", "--json", env=env))
    check("status", "job-status", json_of("status", "--vendor", "a2v", started["id"], "--json", env=env))
    check("videos", "videos", json_of("videos", "--vendor", "a2v", "--json", env=env))
    fetched = json_of("fetch", "--vendor", "a2v", started["id"], "-o", str(WORK / "fetched"), "--json", env=env)
    check("fetch --vendor a2v", "fetch", fetched)

    request = WORK / "akool-request.json"
    request.write_text(json.dumps({
        "width": 3840, "height": 2160, "avatar_from": 2,
        "elements": [{"type": "avatar", "avatar_id": "Yasmin_in_White_shirt_20231121", "offset_x": 0, "offset_y": 0,
                      "scale_x": 1, "scale_y": 1},
                     {"type": "audio", "input_text": "Hi", "voice_id": "6889b628662160e2caad5dbc"}]}))
    akool = json_of("render", "--vendor", "akool", "--request", str(request), "--wait", "--interval", "0.1", "--json",
                    env=env)
    check("render --wait", "job-status", akool)
    check("fetch --vendor akool", "fetch",
          json_of("fetch", "--vendor", "akool", akool["id"], "-o", str(WORK / "fetched"), "--json", env=env))

    composite = WORK / "composite.mp4"
    check("compose", "compose", json_of("compose", "--video", str(avatar), "--mask", str(mask), "--background",
                                        str(still), "-o", str(composite), "--deliver", "poster",
                                        "--encoder-preset", "ultrafast", "--json", env=env))
    check("compose -o null", "compose", json_of("compose", "--video", str(avatar), "--mask", str(mask), "--background",
                                                "#102030", "-o", "null", "--json", env=env))
    # The plan alone (nothing decoded or written): with a mask, a scene of layers, a key.
    check("compose --dry-run", "compose-plan", json_of("compose", "--video", str(avatar), "--mask", str(mask),
                                                       "--background", str(still), "-o", str(composite), "--deliver",
                                                       "poster,webm-alpha", "--dry-run", "--json", env=env))
    scene = WORK / "scene.json"
    scene.write_text(json.dumps({"canvas": "320x180", "layers": [
        {"type": "image", "source": str(still), "size": [320, 180]},
        {"type": "avatar", "offset": [-10, 20], "scale": [0.5, 0.5]}]}))
    check("compose --dry-run --scene", "compose-plan", json_of("compose", "--video", str(avatar), "--mask", str(mask),
                                                               "--scene", str(scene), "-o", str(WORK / "scene.mp4"),
                                                               "--dry-run", "--json", env=env))
    check("compose --dry-run --key", "compose-plan", json_of("compose", "--video", str(avatar), "--key", "auto",
                                                             "--background", "transparent", "-o", str(WORK / "k.webm"),
                                                             "--key-matte-out", str(WORK / "k.mkv"), "--dry-run",
                                                             "--json", env=env))
    # A programme (the avatar's own clip as its intro): the frame plan and where layer times count from.
    check("compose --dry-run --intro", "compose-plan",
          json_of("compose", "--video", str(avatar), "--mask", str(mask), "--background", "#102030", "--intro",
                  str(avatar), "--transition", "crossfade", "-o", str(WORK / "programme.mp4"), "--dry-run", "--json",
                  env=env))
    check("transcode", "transcode", json_of("transcode", str(avatar), "--mask", str(mask), "-o", str(WORK / "delivered"),
                                            "--deliver", "web,webm-alpha,poster", "--json", env=env))
    # An HLS ladder with loudness and captions: its re-measured audio and its WebVTT rendition's cues.
    captions = WORK / "talk.srt"
    captions.write_text("1\n00:00:00,200 --> 00:00:01,200\nHello\n")
    check("transcode hls", "transcode", json_of("transcode", str(avatar), "-o", str(WORK / "ladder"), "--deliver", "hls",
                                                "--hls-heights", "48", "--loudness", "web", "--captions", str(captions),
                                                "--captions-language", "en", "--json", env=env))
    check("stages", "stages", json_of("stages", "--json", env=env))

    check("archive sync", "archive-sync", json_of("archive", "sync", "--vendor", "a2v", "--json", env=env))
    check("archive add", "archive-sync", json_of("archive", "add", "--vendor", "akool", akool["id"], "--json", env=env))
    check("archive ls", "archive-ls", json_of("archive", "ls", "--json", env=env))
    check("archive verify", "archive-verify", json_of("archive", "verify", "--all", "--json", env=env))
    check("archive repair", "archive-repair", json_of("archive", "repair", "--json", env=env))
    check("archive export", "archive-export", json_of("archive", "export", "--vendor", "a2v", started["id"], "-o",
                                                      str(WORK / "exported"), "--json", env=env))

    job = WORK / "job.json"
    job.write_text(json.dumps({
        "name": "promo",
        "source": {"a2v": {"pose_id": "pose-kai-front", "audio_url": audio}},
        "wait": {"interval_seconds": 0.1, "timeout_seconds": 60},
        "composite": {"background": str(still), "size": "-1x80", "anchor": "bottom"},
        "deliver": {"presets": ["web", "poster"]}}))
    check("run", "run", json_of("run", "--output-root", str(WORK / "out"), str(job), "--json", env=env))
    broken = WORK / "broken.json"
    broken.write_text(json.dumps({"name": "broken", "source": {"a2v": {"pose_id": "p"}}}))
    check("run (a bad job file)", "run", json_of("run", "--output-root", str(WORK / "out"), str(broken), "--json",
                                                 env=env, expect=2))

    # A batch: a template and two rows run here, queued, and a bad one (every problem, nothing run).
    template = WORK / "batch.json"
    template.write_text(json.dumps({**json.loads(job.read_text()), "name": "batch-{{id}}",
                                    "description": "for {{who}}"}))
    rows = WORK / "rows.csv"
    rows.write_text('id,who\r\na,"Ana, Lima"\r\nb,山田\r\n')
    check("batch", "batch", json_of("batch", str(template), str(rows), "--output-root", str(WORK / "out"), "--json",
                                    env=env))
    check("batch --submit", "batch", json_of("batch", str(template), str(rows), "--submit", "--catalog",
                                             str(WORK / "batch-queue.db"), "--output-root", str(WORK / "out"),
                                             "--json", env=env))
    bad_rows = WORK / "bad-rows.csv"
    bad_rows.write_text("id,who\na,\n")
    check("batch (a bad row)", "batch", json_of("batch", str(template), str(bad_rows), "--output-root",
                                                str(WORK / "out"), "--json", env=env, expect=2))

    # The job queue on a SQLite catalog: submit, jobs, cancel, retry, and a draining worker.
    queue = ["--catalog", str(WORK / "queue.db")]
    check("submit", "submit", json_of("submit", str(job), *queue, "--json", env=env))
    second = WORK / "second.json"
    second.write_text(json.dumps({**json.loads(job.read_text()), "name": "second"}))
    submitted = json_of("submit", str(second), *queue, "--json", env=env)
    check("submit (a second job)", "submit", submitted)
    check("jobs", "jobs", json_of("jobs", *queue, "--json", env=env))
    second_id = str(submitted["jobs"][0]["id"])
    check("jobs cancel", "jobs", json_of("jobs", "cancel", second_id, *queue, "--json", env=env))
    check("jobs retry", "jobs", json_of("jobs", "retry", second_id, *queue, "--json", env=env))
    out = avpost("worker", *queue, "--drain", "--poll-seconds", "0.1", "--output-root", str(WORK / "worker-out"),
                 "--metrics-listen", "127.0.0.1:0", "--json", env=env)
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    if [e["event"] for e in events].count("done") != 2:
        failures.append(f"worker --drain: expected two jobs done, got {events}")
    if [e["event"] for e in events][:1] != ["metrics"]:
        failures.append(f"worker --metrics-listen: expected the metrics event first, got {events}")
    for event in events:
        check(f"worker ({event['event']})", "worker-event", event)

    check("an error", "error", json_of("compose", "--video", str(WORK / "missing.mp4"), "--mask", str(mask),
                                       "--background", "#000000", "-o", "null", "--json", env=env, expect=3))


try:
    main()
except Exception as e:  # a command that failed, or output that is not JSON
    failures.append(f"{type(e).__name__}: {e}")

listing = (DOCS / "json.md").read_text()
for path in sorted(SCHEMAS.glob("*.schema.json")):
    name = path.name.removesuffix(".schema.json")
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
    except Exception as e:
        failures.append(f"{path.name}: not a valid JSON Schema: {e}")
    if name not in used_schemas:
        failures.append(f"{path.name}: no command's output was checked against it")
    if f"json/{path.name}" not in listing:
        failures.append(f"{path.name}: not listed in docs/json.md")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"every --json output matches its schema ({len(used_schemas)} schemas)")
