#include "engine/core/instance.h"

#include <algorithm>
#include <utility>

namespace asc {

Instance::Instance(std::unique_ptr<Backend> backend, std::unique_ptr<Policy> policy,
                   InstanceConfig config, const PerfModel* perf_model)
    : backend_(std::move(backend)),
      policy_(std::move(policy)),
      config_(std::move(config)),
      blocks_(backend_ ? backend_->num_kv_blocks() : 0),
      state_(blocks_, config_.scheduler, perf_model) {
  ASC_CHECK(backend_ != nullptr && policy_ != nullptr);
}

int32_t Instance::length_limit() const {
  int32_t pool = blocks_.num_blocks() * kKvBlockSize;
  int32_t limit = config_.scheduler.max_model_len;
  return limit > 0 ? std::min(limit, pool) : pool;
}

Status Instance::submit(std::unique_ptr<Request> request) {
  if (!request) return invalid_argument("null request");
  Request& r = *request;
  if (r.num_prompt_tokens <= 0) return invalid_argument("empty prompt");
  if (r.max_output_tokens <= 0) return invalid_argument("max_output_tokens must be >= 1");
  if (r.has_token_ids() && static_cast<int32_t>(r.tokens.size()) != r.num_tokens()) {
    return invalid_argument("token ids do not match num_prompt_tokens");
  }
  if (requests_.count(r.id) != 0) return invalid_argument("duplicate request id " + std::to_string(r.id));
  if (r.num_tokens() >= length_limit()) {
    return out_of_range("prompt of " + std::to_string(r.num_tokens()) +
                        " tokens does not fit the limit of " + std::to_string(length_limit()));
  }
  if (r.has_token_ids()) r.tokens.reserve(static_cast<size_t>(r.num_prompt_tokens + r.max_output_tokens));
  r.phase = RequestPhase::kWaiting;
  state_.waiting().push_back(&r);
  requests_.emplace(r.id, std::move(request));
  return Status::ok();
}

void Instance::abort(RequestId id) { pending_aborts_.push_back(id); }

const Request* Instance::find(RequestId id) const {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : it->second.get();
}

void Instance::remove_from_queues(Request& req) {
  auto& w = state_.waiting();
  auto wi = std::find(w.begin(), w.end(), &req);
  if (wi != w.end()) w.erase(wi);
  auto& r = state_.running();
  auto ri = std::find(r.begin(), r.end(), &req);
  if (ri != r.end()) r.erase(ri);
}

void Instance::finish(Request& req, FinishReason reason, std::string error, double now) {
  ASC_CHECK_MSG(!req.is_finished(), "request finished twice");
  remove_from_queues(req);
  blocks_.free(req.block_table);
  req.block_table.clear();
  req.phase = RequestPhase::kFinished;
  req.finish_reason = reason;
  req.error = error;
  EngineEvent ev;
  ev.request_id = req.id;
  ev.kind = EngineEventKind::kFinished;
  ev.time_s = now;
  ev.finish_reason = reason;
  ev.error = std::move(error);
  events_.push_back(std::move(ev));
  auto it = requests_.find(req.id);
  ASC_CHECK(it != requests_.end());
  finished_.push_back(std::move(it->second));
  requests_.erase(it);
}

void Instance::handle_aborts(double now) {
  for (RequestId id : pending_aborts_) {
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    finish(*it->second, FinishReason::kAbort, std::string(), now);
  }
  pending_aborts_.clear();
}

void Instance::handle_offloads(double now) {
  for (Request* req : state_.offloaded()) {
    ++req->num_offloads;
    EngineEvent ev;
    ev.request_id = req->id;
    ev.kind = EngineEventKind::kOffloaded;
    ev.time_s = now;
    events_.push_back(std::move(ev));
  }
}

void Instance::resolve_rows(StepPlan& plan) {
  const auto& reqs = state_.row_requests();
  ASC_CHECK_MSG(reqs.size() == plan.rows.size(), "plan rows must be built with add_prefill/add_decode");
  for (size_t i = 0; i < plan.rows.size(); ++i) {
    StepRow& row = plan.rows[i];
    const Request& req = *reqs[i];
    ASC_CHECK(row.request_id == req.id && row.start_pos == req.num_computed);
    if (req.has_token_ids()) {
      row.tokens = std::span<const int32_t>(req.tokens).subspan(static_cast<size_t>(row.start_pos),
                                                                 static_cast<size_t>(row.num_tokens));
    }
    row.block_table = std::span<const int32_t>(req.block_table)
                          .first(static_cast<size_t>(Request::blocks_for(row.start_pos + row.num_tokens)));
  }
  in_flight_rows_.assign(reqs.begin(), reqs.end());
}

StepPlan Instance::plan_step(double now) {
  ASC_CHECK_MSG(!in_flight_, "plan_step while a plan is in flight");
  handle_aborts(now);
  state_.begin_plan();
  StepPlan plan = policy_->schedule(state_, now);
  handle_offloads(now);
  resolve_rows(plan);
  in_flight_ = !plan.empty();
  return plan;
}

void Instance::apply_row(Request& req, const StepRow& row, int32_t token, double now) {
  req.num_computed += row.num_tokens;
  if (!row.sample) return;
  ASC_CHECK(req.num_computed == req.num_tokens());
  req.token_times_s.push_back(now);
  if (req.has_token_ids()) req.tokens.push_back(token);
  if (config_.emit_token_events) {
    EngineEvent ev;
    ev.request_id = req.id;
    ev.kind = EngineEventKind::kToken;
    ev.token = token;
    ev.time_s = now;
    events_.push_back(std::move(ev));
  }
  if (req.is_eos(token)) {
    finish(req, FinishReason::kStop, std::string(), now);
  } else if (req.num_output_tokens() >= req.max_output_tokens || req.num_tokens() >= length_limit()) {
    finish(req, FinishReason::kLength, std::string(), now);
  }
}

void Instance::apply(const StepPlan& plan, const StatusOr<StepResult>& result, double now) {
  ASC_CHECK_MSG(in_flight_ || plan.empty(), "apply without a plan in flight");
  in_flight_ = false;
  if (plan.empty()) return;
  ASC_CHECK(in_flight_rows_.size() == plan.rows.size());
  ++num_iterations_;
  if (!result.is_ok() || result->tokens.size() != plan.rows.size()) {
    std::string why = result.is_ok() ? std::string("backend returned a wrong number of tokens")
                                     : result.status().to_string();
    for (Request* req : in_flight_rows_) {
      if (!req->is_finished()) finish(*req, FinishReason::kError, why, now);
    }
    in_flight_rows_.clear();
    return;
  }
  for (size_t i = 0; i < plan.rows.size(); ++i) {
    apply_row(*in_flight_rows_[i], plan.rows[i], result->tokens[i], now);
  }
  in_flight_rows_.clear();
}

bool Instance::step(double now) {
  StepPlan plan = plan_step(now);
  if (plan.empty()) return false;
  StatusOr<StepResult> result = backend_->execute(plan);
  double end = now + (result.is_ok() ? std::max(0.0, result->duration_s) : 0.0);
  apply(plan, result, end);
  return true;
}

std::vector<EngineEvent> Instance::take_events() {
  std::vector<EngineEvent> out;
  out.swap(events_);
  return out;
}

std::vector<std::unique_ptr<Request>> Instance::take_finished() {
  std::vector<std::unique_ptr<Request>> out;
  out.swap(finished_);
  return out;
}

std::unique_ptr<Request> Instance::take_request(RequestId id, std::vector<uint8_t>* kv_out) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return nullptr;
  Request& req = *it->second;
  if (in_flight_ && std::find(in_flight_rows_.begin(), in_flight_rows_.end(), &req) != in_flight_rows_.end()) {
    return nullptr;
  }
  remove_from_queues(req);
  const bool exported = kv_out != nullptr && req.num_computed > 0 &&
                        backend_->export_kv_blocks(req.block_table, *kv_out).is_ok();
  if (!exported && req.num_computed > 0) {
    ++req.num_preemptions;  // detached without its KV: it will be recomputed
    req.num_computed = 0;
  }
  blocks_.free(req.block_table);
  req.block_table.clear();
  req.phase = RequestPhase::kWaiting;
  std::unique_ptr<Request> out = std::move(it->second);
  requests_.erase(it);
  return out;
}

Status Instance::attach_request(std::unique_ptr<Request> request, std::span<const uint8_t> kv,
                                bool kv_exported) {
  if (!request) return invalid_argument("null request");
  Request& req = *request;
  req.block_table.clear();
  // kv_exported: `kv` is a whole export, even when empty (a simulated backend keeps no bytes).
  if (req.num_computed == 0 || (kv.empty() && !kv_exported)) {
    if (req.num_computed > 0) ++req.num_preemptions;  // arrives without its KV: recompute
    req.num_computed = 0;
    return submit(std::move(request));
  }
  if (requests_.count(req.id) != 0) return invalid_argument("duplicate request id");
  if (req.num_tokens() >= length_limit()) return out_of_range("request does not fit this instance");
  ASC_RETURN_IF_ERROR(blocks_.allocate(Request::blocks_for(req.num_computed), req.block_table));
  Status s = backend_->import_kv_blocks(req.block_table, kv);
  if (!s.is_ok()) {
    blocks_.free(req.block_table);
    req.block_table.clear();
    return s;
  }
  ++req.num_migrations;
  req.phase = RequestPhase::kRunning;
  state_.running().push_back(&req);
  requests_.emplace(req.id, std::move(request));
  return Status::ok();
}

InstanceStats Instance::stats() const {
  InstanceStats s;
  s.num_running = static_cast<int32_t>(state_.running().size());
  s.num_waiting = static_cast<int32_t>(state_.waiting().size());
  s.max_seqs = config_.scheduler.max_seqs;
  s.num_free_blocks = blocks_.num_free();
  s.num_blocks = blocks_.num_blocks();
  s.kv_usage = blocks_.usage();
  s.busy = in_flight_;
  return s;
}

bool Instance::has_work() const {
  return !state_.waiting().empty() || !state_.running().empty() || !pending_aborts_.empty();
}

}  // namespace asc
