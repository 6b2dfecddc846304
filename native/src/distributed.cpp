// Distributed area: a thin layer over PyTorch's own c10d (TCPStore rendezvous, ProcessGroupGloo).
// No communication code of our own: this file only flattens tensor lists into one buffer per call
// (one collective per step, not one per parameter), applies timeouts, and turns c10d's failures into
// messages that name the operation and the rank that did not take part.
#include "kst_distributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <sstream>

namespace {

struct ProcessGroup {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0;
  int world = 1;
  std::chrono::milliseconds timeout{0};
  int64_t seq = 0;  // collectives issued so far; published in the store so a failure can name who lagged
};

ProcessGroup& get_pg(void* h) {
  if (h == nullptr) throw kst::invalid_argument("null process group handle");
  return *static_cast<ProcessGroup*>(h);
}

std::string seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << ms.count() / 1000.0 << " s";
  return s.str();
}

std::string seq_key(int rank) { return "kst/seq/" + std::to_string(rank); }

// After a failed collective: which ranks never reached it? Each rank records its sequence number in the
// store before every collective, so ranks behind this one are the ones that died or hung.
std::string diagnose(ProcessGroup& g) {
  std::ostringstream lagging, reached;
  int nLagging = 0;
  try {
    for (int r = 0; r < g.world; ++r) {
      if (r == g.rank) continue;
      int64_t theirs = 0;
      if (g.store->check({seq_key(r)})) {
        auto v = g.store->get(seq_key(r));
        theirs = std::stoll(std::string(v.begin(), v.end()));
      }
      if (theirs < g.seq) {
        lagging << (nLagging++ ? ", " : "") << "rank " << r << " (last at #" << theirs << ")";
      } else {
        reached << " " << r;
      }
    }
  } catch (const std::exception&) {
    return "rank 0, which hosts the rendezvous store, is unreachable (it has exited or its machine is down)";
  }
  if (nLagging > 0) return lagging.str() + " did not reach it (dead or hung)";
  return "every other rank reached it; the connection to rank(s)" + reached.str() + " broke (a rank died during it)";
}

// Runs one collective: publish our sequence number, run, wait; on failure name the operation and the culprit.
template <typename F>
void collective(ProcessGroup& g, const char* label, const char* kind, F&& body) {
  ++g.seq;
  auto start = std::chrono::steady_clock::now();
  std::string what = std::string(kind) + " #" + std::to_string(g.seq) + (label && *label ? std::string(" (") + label + ")" : "");
  try {
    auto v = std::to_string(g.seq);
    g.store->set(seq_key(g.rank), std::vector<uint8_t>(v.begin(), v.end()));
    body();
  } catch (const std::exception& e) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::string cause = e.what();
    if (auto* ce = dynamic_cast<const c10::Error*>(&e)) cause = ce->what_without_backtrace();
    throw std::runtime_error("distributed " + what + " failed on rank " + std::to_string(g.rank) + " after " + seconds(waited)
                             + " (timeout " + seconds(g.timeout) + "): " + diagnose(g) + ". c10d: " + cause);
  }
}

// One contiguous float buffer per call: the tensors' values, flattened in order.
torch::Tensor flatten(const std::vector<torch::Tensor>& ts) {
  std::vector<torch::Tensor> flat;
  flat.reserve(ts.size());
  for (auto& t : ts) flat.push_back(t.detach().reshape({-1}));
  return torch::cat(flat);
}

void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& ts) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& t : ts) {
    auto n = t.numel();
    t.copy_(flat.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

void check_same_dtype(const std::vector<torch::Tensor>& ts) {
  for (auto& t : ts)
    if (t.scalar_type() != ts[0].scalar_type() || !t.is_contiguous())
      throw kst::invalid_argument("bucketed collectives need contiguous tensors of one dtype");
}

}  // namespace

// Rendezvous through a TCPStore that rank 0 hosts at master_addr:port, then a Gloo process group.
// timeout_ms bounds the rendezvous and every later collective.
KST_API kst_status kst_pg_create(const char* master_addr, int32_t port, int32_t rank, int32_t world, int64_t timeout_ms, void** out) {
  return kst::guard([&] {
    kst::check_out(out);
    if (master_addr == nullptr || *master_addr == 0) throw kst::invalid_argument("MASTER_ADDR is empty");
    if (world < 1) throw kst::invalid_argument("WORLD_SIZE must be >= 1, got " + std::to_string(world));
    if (rank < 0 || rank >= world)
      throw kst::invalid_argument("RANK " + std::to_string(rank) + " is outside 0.." + std::to_string(world - 1));
    if (port < 1 || port > 65535) throw kst::invalid_argument("MASTER_PORT " + std::to_string(port) + " is not a TCP port");
    if (timeout_ms < 1) throw kst::invalid_argument("timeout must be positive");
    auto g = std::make_unique<ProcessGroup>();
    g->rank = rank;
    g->world = world;
    g->timeout = std::chrono::milliseconds(timeout_ms);
    std::string addr(master_addr);
    std::string where = addr + ":" + std::to_string(port);
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<size_t>(world);
    so.waitWorkers = true;
    so.timeout = g->timeout;
    try {
      g->store = c10::make_intrusive<c10d::TCPStore>(addr, so);
    } catch (const std::exception& e) {
      std::string cause = e.what();
      if (auto* ce = dynamic_cast<const c10::Error*>(&e)) cause = ce->what_without_backtrace();
      if (rank == 0 && cause.find("in use") != std::string::npos)
        throw std::runtime_error("MASTER_PORT " + std::to_string(port) + " on " + addr + " is already in use; choose another port. c10d: " + cause);
      if (rank == 0)
        throw std::runtime_error("rank 0 hosts the rendezvous at " + where + " but not all " + std::to_string(world) + " ranks joined within "
                                 + seconds(g->timeout) + ". c10d: " + cause);
      throw std::runtime_error("rank " + std::to_string(rank) + " could not reach the master at " + where + " within " + seconds(g->timeout)
                               + " (is rank 0 running, and are MASTER_ADDR/MASTER_PORT right?). c10d: " + cause);
    }
    auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
    // Loopback masters mean one machine; otherwise Gloo picks this host's interface (or GLOO_SOCKET_IFNAME, as in PyTorch).
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (addr == "127.0.0.1" || addr == "localhost") opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = 1;
    try {
      g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, world, opts);
    } catch (const std::exception& e) {
      std::string cause = e.what();
      if (auto* ce = dynamic_cast<const c10::Error*>(&e)) cause = ce->what_without_backtrace();
      throw std::runtime_error("rank " + std::to_string(rank) + ": Gloo connection set-up with the other ranks failed within " + seconds(g->timeout)
                               + ". c10d: " + cause);
    }
    *out = g.release();
  });
}

KST_API kst_status kst_pg_free(void* h) {
  return kst::guard([&] { delete static_cast<ProcessGroup*>(h); });
}

// Sums (average != 0: averages) the tensors in place across ranks, as one flat buffer.
KST_API kst_status kst_pg_allreduce(void* h, const kst_tensor* ts, int32_t n, int32_t average, const char* label) {
  return kst::guard([&] {
    auto& g = get_pg(h);
    auto list = kst::tensors(ts, n);
    if (list.empty()) return;
    check_same_dtype(list);
    std::vector<torch::Tensor> buf{flatten(list)};
    collective(g, label, "all-reduce", [&] { g.pg->allreduce(buf)->wait(); });
    if (average) buf[0].div_(g.world);
    unflatten(buf[0], list);
  });
}

// All-reduce of the gradients of a parameter list (those with a gradient; every rank must have the same set),
// one flat buffer; average != 0 divides by the world size. out_elements: scalars sent (the bucket size).
KST_API kst_status kst_pg_allreduce_grads(void* h, const kst_tensor* params, int32_t n, int32_t average, const char* label,
                                          int64_t* out_elements) {
  return kst::guard([&] {
    auto& g = get_pg(h);
    auto list = kst::tensors(params, n);
    std::vector<torch::Tensor> grads;
    for (auto& p : list)
      if (p.grad().defined()) grads.push_back(p.mutable_grad());
    int64_t elements = 0;
    for (auto& t : grads) elements += t.numel();
    if (out_elements) *out_elements = elements;
    if (grads.empty()) return;
    check_same_dtype(grads);
    std::vector<torch::Tensor> buf{flatten(grads)};
    collective(g, label, "gradient all-reduce", [&] { g.pg->allreduce(buf)->wait(); });
    if (average) buf[0].div_(g.world);
    unflatten(buf[0], grads);
  });
}

// Copies root's values of the tensors into every rank's tensors (one flat buffer).
KST_API kst_status kst_pg_broadcast(void* h, const kst_tensor* ts, int32_t n, int32_t root, const char* label) {
  return kst::guard([&] {
    auto& g = get_pg(h);
    if (root < 0 || root >= g.world) throw kst::invalid_argument("broadcast root " + std::to_string(root) + " is not a rank");
    auto list = kst::tensors(ts, n);
    if (list.empty()) return;
    check_same_dtype(list);
    std::vector<torch::Tensor> buf{flatten(list)};
    c10d::BroadcastOptions bo;
    bo.rootRank = root;
    collective(g, label, "broadcast", [&] { g.pg->broadcast(buf, bo)->wait(); });
    unflatten(buf[0], list);
  });
}

// Every rank's copy of a small tensor (same shape on all ranks), stacked along a new first dimension.
KST_API kst_status kst_pg_allgather(void* h, kst_tensor t, const char* label, kst_tensor* out) {
  return kst::guard([&] {
    kst::check_out(out);
    auto& g = get_pg(h);
    auto input = kst::get(t).contiguous();
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int r = 0; r < g.world; ++r) outputs[0].push_back(torch::empty_like(input));
    std::vector<torch::Tensor> inputs{input};
    collective(g, label, "all-gather", [&] { g.pg->allgather(outputs, inputs)->wait(); });
    *out = kst::wrap(torch::stack(outputs[0]));
  });
}

KST_API kst_status kst_pg_barrier(void* h, const char* label) {
  return kst::guard([&] {
    auto& g = get_pg(h);
    collective(g, label, "barrier", [&] { g.pg->barrier()->wait(); });
  });
}

KST_API kst_status kst_pg_info(void* h, int32_t* rank, int32_t* world) {
  return kst::guard([&] {
    auto& g = get_pg(h);
    kst::check_out(rank);
    kst::check_out(world);
    *rank = g.rank;
    *world = g.world;
  });
}
