// AdamW (decoupled weight decay), one step in place, split over the pool.
#include <cmath>

#include "kernels.h"
#include "thread_pool.h"
#include "vec.h"

namespace toolken {
namespace {

TOOLKEN_VECTOR_CLONES
void adamw_range(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2, float eps,
                 float weight_decay, float inv_c1, float inv_c2) {
  for (int64_t i = 0; i < n; i++) {
    const float g = grad[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * g;
    v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
    const float m_hat = m[i] * inv_c1;
    const float v_hat = v[i] * inv_c2;
    param[i] -= lr * (m_hat / (std::sqrt(v_hat) + eps) + weight_decay * param[i]);
  }
}

}  // namespace

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m^ / (sqrt(v^) + eps) + wd p)
void adamw(float* param, const float* grad, float* m, float* v, int64_t size, const AdamWHyper& h) {
  const float inv_c1 = static_cast<float>(1.0 / (1.0 - std::pow(h.beta1, static_cast<double>(h.step))));
  const float inv_c2 = static_cast<float>(1.0 / (1.0 - std::pow(h.beta2, static_cast<double>(h.step))));
  parallel_for(size, 1 << 14, [&](int64_t i0, int64_t i1) {
    adamw_range(param + i0, grad + i0, m + i0, v + i0, i1 - i0, static_cast<float>(h.lr), static_cast<float>(h.beta1),
                static_cast<float>(h.beta2), static_cast<float>(h.eps), static_cast<float>(h.weight_decay), inv_c1, inv_c2);
  });
}

}  // namespace toolken
