#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TOOLKEN_SPIN_PAUSE() _mm_pause()
#else
#define TOOLKEN_SPIN_PAUSE() std::this_thread::yield()
#endif

namespace toolken {
namespace {

// Spinning briefly before sleeping keeps the wake-up latency of back-to-back small kernels (decoding) low
// without burning a core when the pool is idle.
constexpr int kSpinIterations = 4000;

thread_local bool inside_pool_job = false;

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { start(threads); }
  ~ThreadPool() { stop(); }

  int threads() const { return threads_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> caller(caller_mutex_);
    if (threads == threads_) return;
    stop();
    start(threads);
  }

  void run(int64_t parts, const std::function<void(int64_t)>& body) {
    if (parts <= 0) return;
    if (threads_ == 1 || parts == 1 || inside_pool_job) {
      for (int64_t p = 0; p < parts; p++) body(p);
      return;
    }
    // One job at a time: callers on other threads (Node worker threads) queue here.
    std::lock_guard<std::mutex> caller(caller_mutex_);
    uint32_t job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job = ++job_id_;
      body_ = &body;
      parts_ = parts;
      done_parts_.store(0, std::memory_order_relaxed);
      claim_.store(static_cast<uint64_t>(job) << 32, std::memory_order_release);
    }
    wake_.notify_all();
    run_parts(job, body, parts);
    // Only parts are waited for, never threads: a helper the OS has not scheduled yet costs nothing.
    for (int spin = 0; spin < kSpinIterations && done_parts_.load(std::memory_order_acquire) != parts; spin++) TOOLKEN_SPIN_PAUSE();
    if (done_parts_.load(std::memory_order_acquire) != parts) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return done_parts_.load(std::memory_order_acquire) == parts; });
    }
  }

 private:
  // Claims and runs parts of `job` until none are left. The claim word holds (job id << 32 | next part), so a
  // helper that wakes after its job finished claims nothing from the next one.
  void run_parts(uint32_t job, const std::function<void(int64_t)>& body, int64_t parts) {
    inside_pool_job = true;
    for (;;) {
      uint64_t word = claim_.load(std::memory_order_acquire);
      int64_t part;
      do {
        part = static_cast<int64_t>(word & 0xffffffffu);
        if ((word >> 32) != job || part >= parts) {
          inside_pool_job = false;
          return;
        }
      } while (!claim_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel));
      body(part);
      if (done_parts_.fetch_add(1, std::memory_order_acq_rel) + 1 == parts) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  void worker_loop(uint32_t seen) {
    for (;;) {
      for (int spin = 0; spin < kSpinIterations && job_id_seen() == seen && !stopping_.load(); spin++) TOOLKEN_SPIN_PAUSE();
      const std::function<void(int64_t)>* body;
      int64_t parts;
      uint32_t job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return job_id_ != seen || stopping_.load(); });
        if (stopping_.load()) return;
        seen = job = job_id_;
        body = body_;
        parts = parts_;
      }
      run_parts(job, *body, parts);
    }
  }

  // The job id as published in the claim word, readable without the mutex while spinning.
  uint32_t job_id_seen() const { return static_cast<uint32_t>(claim_.load(std::memory_order_acquire) >> 32); }

  void start(int threads) {
    threads_ = std::max(1, threads);
    stopping_.store(false);
    // A new worker starts having "seen" the current job, so a resized pool never replays one.
    for (int w = 1; w < threads_; w++) workers_.emplace_back([this, current = job_id_] { worker_loop(current); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::mutex caller_mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_parts_{0};
  std::atomic<bool> stopping_{false};
  uint32_t job_id_ = 0;  // guarded by mutex_
  const std::function<void(int64_t)>* body_ = nullptr;
  int64_t parts_ = 0;
};

int default_threads() {
  if (const char* env = std::getenv("TOOLKEN_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

ThreadPool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock.
  static ThreadPool* instance = new ThreadPool(default_threads());
  return *instance;
}

}  // namespace

int pool_threads() { return pool().threads(); }

void set_pool_threads(int threads) { pool().resize(threads); }

void parallel_parts(int64_t parts, const std::function<void(int64_t)>& body) { pool().run(parts, body); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  const int64_t by_grain = (n + std::max<int64_t>(grain, 1) - 1) / std::max<int64_t>(grain, 1);
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(by_grain, 4 * static_cast<int64_t>(pool_threads())));
  pool().run(parts, [&](int64_t p) { body(n * p / parts, n * (p + 1) / parts); });
}

}  // namespace toolken
