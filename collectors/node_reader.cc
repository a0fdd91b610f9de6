#include "collectors/node_reader.h"

#include "collectors/fs.h"
#include "collectors/kernel_files.h"
#include "collectors/parse.h"

namespace gt::collectors {
namespace {

class NodeReaderImpl final : public NodeReader {
 public:
  explicit NodeReaderImpl(std::string proc) : proc_(std::move(proc)) {}

  Status OpenAll() {
    auto dir = OpenDir(proc_);
    if (!dir) return dir.error();
    for (File* f : {&meminfo_, &vmstat_, &loadavg_}) {
      auto fd = OpenFileAt(dir->get(), f->name, proc_, /*optional=*/false);
      if (!fd) return fd.error();
      f->fd = std::move(*fd);
    }
    for (File* f : {&memory_pressure_, &cpu_pressure_, &io_pressure_}) {
      auto fd = OpenFileAt(dir->get(), f->name, proc_, /*optional=*/true);
      if (!fd) return fd.error();
      f->fd = std::move(*fd);
    }
    return OkStatus();
  }

  Result<NodeReading> Read(MonotonicTime now) override {
    NodeReading out;
    out.time = now;
    auto meminfo_text = PreadAll(meminfo_.fd.get(), proc_, meminfo_.name);
    if (!meminfo_text) return meminfo_text.error();
    auto meminfo = ParseMeminfo(*meminfo_text, meminfo_.name);
    if (!meminfo) return InProc(meminfo.error());
    out.mem_total_bytes = meminfo->mem_total_bytes;
    out.mem_available_bytes = meminfo->mem_available_bytes;
    out.committed_as_bytes = meminfo->committed_as_bytes;
    out.commit_limit_bytes = meminfo->commit_limit_bytes;

    auto vmstat_text = PreadAll(vmstat_.fd.get(), proc_, vmstat_.name);
    if (!vmstat_text) return vmstat_text.error();
    auto vmstat = ParseVmstat(*vmstat_text, vmstat_.name);
    if (!vmstat) return InProc(vmstat.error());
    out.pgmajfault = vmstat->pgmajfault;
    out.workingset_refault_file = vmstat->workingset_refault_file;
    out.pswpin = vmstat->pswpin;
    out.pswpout = vmstat->pswpout;

    auto loadavg_text = PreadAll(loadavg_.fd.get(), proc_, loadavg_.name);
    if (!loadavg_text) return loadavg_text.error();
    auto loadavg = ParseLoadavg(*loadavg_text, loadavg_.name);
    if (!loadavg) return InProc(loadavg.error());
    out.load1 = loadavg->load1;
    out.load5 = loadavg->load5;
    out.load15 = loadavg->load15;
    out.procs_running = loadavg->running;

    if (auto st = ReadPressure(memory_pressure_, out.memory_pressure); !st) return st.error();
    if (auto st = ReadPressure(cpu_pressure_, out.cpu_pressure); !st) return st.error();
    if (auto st = ReadPressure(io_pressure_, out.io_pressure); !st) return st.error();
    return out;
  }

  std::vector<std::string> OpenFilePaths() const override {
    std::vector<std::string> out;
    for (const File* f :
         {&meminfo_, &vmstat_, &loadavg_, &memory_pressure_, &cpu_pressure_, &io_pressure_}) {
      if (f->fd.valid()) out.push_back(proc_ + "/" + f->name);
    }
    return out;
  }

 private:
  struct File {
    const char* name;
    Fd fd;
  };

  // Parsers get the bare name (no string built on success); errors name the whole path.
  Error InProc(Error e) const {
    e.path = proc_ + "/" + e.path;
    return e;
  }

  Status ReadPressure(const File& f, std::optional<Pressure>& out) {
    if (!f.fd.valid()) return OkStatus();
    auto text = PreadAll(f.fd.get(), proc_, f.name);
    if (!text) {
      // psi=0 on the kernel command line keeps the files but fails reads with EOPNOTSUPP.
      if (text.error().code == ErrorCode::kIo) return OkStatus();
      return text.error();
    }
    auto pressure = ParsePressure(*text, f.name);
    if (!pressure) return InProc(pressure.error());
    out = *pressure;
    return OkStatus();
  }

  std::string proc_;
  File meminfo_{files::kMeminfo, {}};
  File vmstat_{files::kVmstat, {}};
  File loadavg_{files::kLoadavg, {}};
  File memory_pressure_{files::kPressureMemory, {}};
  File cpu_pressure_{files::kPressureCpu, {}};
  File io_pressure_{files::kPressureIo, {}};
};

}  // namespace

Result<std::unique_ptr<NodeReader>> NodeReader::Open(const HostPaths& paths) {
  auto reader = std::make_unique<NodeReaderImpl>(paths.proc);
  if (auto st = reader->OpenAll(); !st) return st.error();
  return std::unique_ptr<NodeReader>(std::move(reader));
}

}  // namespace gt::collectors
