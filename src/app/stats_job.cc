#include "app/stats_job.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "app/run_outputs.h"
#include "app/sharded_sessions.h"
#include "app/sharded_stats.h"

#ifndef NETSIFT_VERSION
#define NETSIFT_VERSION "0.1.0"
#endif

namespace netsift {

std::string default_stats_sqlite_path(const CaptureOptions& c) {
  std::string base = !c.interface.empty() ? "netsift-" + c.interface
                     : c.read_files.empty() || c.read_files[0] == "-" ? std::string("netsift-stdin")
                                                                      : c.read_files[0];
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  for (const char* ext : {".pcapng", ".pcap", ".cap"}) {
    const std::string e = ext;
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      base.resize(base.size() - e.size());
      break;
    }
  }
  return base + ".stats.sqlite";
}

std::unique_ptr<StatsJob> StatsJob::open(StatsOptions o, const CaptureOptions& capture,
                                         OutputBuffer& out, FILE* report, int& code) {
  const bool live = !capture.interface.empty();
  if (live && !o.json) o.report_each_bucket = true;
  // A volume baseline is kept per address: the address cap bounds them too.
  o.detectors.max_hosts = std::min(o.detectors.max_hosts, o.max_addresses);
  std::unique_ptr<StatsJob> job(new StatsJob(std::move(o), out, report));
  const StatsOptions& opt = job->options_;
  std::string error;
  if (!opt.home.empty()) {
    if (!job->home_.set(opt.home, error)) {
      std::fprintf(stderr, "netsift: --home: %s\n", error.c_str());
      code = kExitUsage;
      return nullptr;
    }
  } else if (live && !job->home_.add_interface(capture.interface, error)) {
    std::fprintf(stderr, "netsift: %s; home networks are the private ranges\n", error.c_str());
  }
  if (!opt.no_geoip) {
    std::vector<std::string> files = opt.geoip_db.empty() ? GeoIp::default_files() : opt.geoip_db;
    for (const auto& f : files) {
      if (!job->geoip_.open(f, error)) {
        std::fprintf(stderr, "netsift: %s\n", error.c_str());
        code = kExitError;
        return nullptr;
      }
    }
    if (!job->geoip_.enabled()) {
      std::fprintf(stderr,
                   "netsift: no GeoIP database (scripts/setup.sh installs DB-IP's; or give "
                   "--geoip-db FILE): public addresses get no location\n");
    }
  }
  if (!opt.no_sqlite) {
    StoreRun run;
    for (const auto& f : capture.read_files) {
      if (!run.input.empty()) run.input += ' ';
      run.input += f;
    }
    if (live) run.input = "live:" + capture.interface;
    run.version = NETSIFT_VERSION;
    for (const Cidr& c : job->home_.ranges()) {
      if (!run.home.empty()) run.home += ' ';
      run.home += to_string(c);
    }
    run.geoip = job->geoip_.describe();
    run.bucket_seconds = double(opt.bucket) / 1e9;
    run.per_packet = opt.per_packet;
    run.replace = opt.sqlite_replace;
    run.batch_rows = opt.sqlite_batch;
    const std::string path =
        opt.sqlite_path.empty() ? default_stats_sqlite_path(capture) : opt.sqlite_path;
    try {
      job->store_ = std::make_unique<StatsStore>(path, run);
      job->store_path_ = path;
    } catch (const std::runtime_error& e) {
      // The default database goes to the current directory, which may not be writable:
      // say how to put it elsewhere or do without.
      std::fprintf(stderr, "netsift: %s%s\n", e.what(),
                   opt.sqlite_path.empty()
                       ? " (the default database of stats; give --sqlite FILE or --no-sqlite)"
                       : "");
      code = kExitError;
      return nullptr;
    }
  }
  if (opt.json) job->jsonl_ = make_jsonl_sink(out);
  job->outputs_.events = job->jsonl_.get();
  job->outputs_.lines = opt.per_packet ? &out : nullptr;
  job->outputs_.store = job->store_.get();
  job->outputs_.report = report;
  if (!report) job->outputs_.report_out = &out;
  MakeFlowAccounting sharded;
  if (const uint32_t workers = resolve_workers(opt.workers); workers > 1) {
    StatsJob* j = job.get();
    sharded = [j, workers](FlowEndSink& sink) {
      return std::make_unique<ShardedStats>(j->options_, j->home_, j->geoip_, workers, sink);
    };
  }
  job->engine_ =
      std::make_unique<StatsEngine>(job->options_, job->home_, job->geoip_, job->outputs_, sharded);
  return job;
}

StatsJob::~StatsJob() = default;

int StatsJob::finish(int code, bool input_cut) {
  try {
    engine_->finish(input_cut);
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "netsift: %s\n", e.what());
    code = kExitError;
  }
  if (const std::string note = engine_->caps_note(); !note.empty()) {
    std::fprintf(stderr, "netsift: stats memory caps reached: %s\n", note.c_str());
  }
  jsonl_.reset();
  if (!options_.json && !report_) {
    out_.append(engine_->report_text());  // the caller flushes `out` and checks it
  } else if (!options_.json) {
    out_.flush();
    engine_->print_report(report_);
    if (std::fflush(report_) != 0 && errno != EPIPE) {
      std::fprintf(stderr, "netsift: %s: write failed: %s\n",
                   report_ == stdout ? "standard output" : "standard error", std::strerror(errno));
      code = kExitError;
    }
  }
  engine_.reset();
  if (store_ && options_.sqlite_path.empty() && code != kExitError) {
    // The default database is written without being asked for: say where it went.
    std::fprintf(stderr, "netsift: statistics stored in %s (run %lld; queries in docs/stats.md)\n",
                 store_path_.c_str(), (long long)store_->run_id());
  }
  store_.reset();
  return code;
}

}  // namespace netsift
