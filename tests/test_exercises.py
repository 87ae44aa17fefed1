"""Each exercise's checker accepts a right answer and rejects a wrong one with a useful message."""

import math

import numpy as np
import pytest
import torch

from companion.exercises import EXERCISES, check, describe

RIGHT = {
    "intro.neuron": lambda x, w, b: max(0.0, float(np.dot(w, x) + b)),
    "intro.parameter_count": 3 * 4 + 4 + 4 * 2 + 2,
    "intro.updates": lambda n, b, e: e * math.ceil(n / b),
    "history.perceptron_update": lambda w, b, x, t, lr: (w + lr * (t - int(w @ x + b > 0)) * x,
                                                         b + lr * (t - int(w @ x + b > 0))),
    "history.plateau_loss": lambda t, n: -sum(np.log(np.mean(t == v)) for v in t) / n,
    "history.oja_direction": lambda X: (lambda v: v * np.sign(v[0]))(np.linalg.svd(X, full_matrices=False)[2][0]),
    "forward.sigmoid": lambda x: np.exp(-np.logaddexp(0, -x)),
    "forward.dense": lambda x, w, b: np.einsum("ni,oi->no", x, w) + b,
    "forward.softmax": lambda z: np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True)),
    "forward.worked_w5": 0.4808,
    "forward.leaky_relu": lambda x, a: np.maximum(x, 0) + a * np.minimum(x, 0),
    "losses.mse_grad": lambda p, t: 2 * (p - t) / p.size,
    "losses.binary_cross_entropy": lambda p, t: float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))),
    "losses.momentum_step": lambda w, g, v, lr, m: (w - lr * (m * v + g), m * v + g),
    "losses.softmax_cross_entropy_grad": lambda z, y: (np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True))
                                                       - np.eye(z.shape[1])[y]) / len(y),
    "backprop.sigmoid_backward": lambda d, x: d * np.exp(-x) / (1 + np.exp(-x)) ** 2,
    "backprop.relu_backward": lambda d, x: np.where(x > 0, d, 0.0),
    "backprop.dense_backward": lambda d, x, w: (d @ w, d.T @ x, d.sum(axis=0)),
    "backprop.unbroadcast": lambda g, shape: torch.tensor(g).sum_to_size(shape).numpy(),
    "backprop.xavier_bound": lambda fan_in, fan_out, gain: gain * math.sqrt(6 / (fan_in + fan_out)),
    "training.precision": lambda t, p: ((t == 1) & (p == 1)).sum() / max((p == 1).sum(), 1),
    "training.recall": lambda t, p: ((t == 1) & (p == 1)).sum() / max((t == 1).sum(), 1),
    "training.confusion_matrix": lambda t, p, k: np.bincount(t * k + p, minlength=k * k).reshape(k, k),
    "training.threshold_for_recall": lambda t, s, r: np.sort(s[t == 1])[::-1][
        int(np.argmax(np.arange(1, (t == 1).sum() + 1) / (t == 1).sum() >= r))],
    "regularization.dropout": lambda x, m, p: np.where(m > 0, x / (1 - p), 0.0),
    "regularization.batchnorm": lambda x, g, b: g * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + b,
    "regularization.stopping_epoch": lambda losses, k: next(
        (e for e in range(1, len(losses) + 1) if e - 1 - int(np.argmin(losses[:e])) >= k), len(losses)),
    "regularization.soft_threshold": lambda w, t: np.sign(w) * np.maximum(np.abs(w) - t, 0),
    "mlp.parameter_count": lambda sizes: sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])),
    "mlp.regression_forward": lambda x, w1, b1, w2, b2, m, s: (np.maximum(x @ w1.T + b1, 0) @ w2.T + b2)[:, 0] * s + m,
    "mlp.anomaly_flags": lambda train, test, q: (test > np.quantile(train, q)).astype(int),
    "cnn.output_size": lambda h, k, p, s: (h + 2 * p - k) // s + 1,
    "cnn.conv2d_naive": lambda x, k, s, p: (np.lib.stride_tricks.sliding_window_view(np.pad(x, p), k.shape)[::s, ::s]
                                            * k).sum(axis=(2, 3)),
    "cnn.max_pool_backward": lambda x, d: torch.autograd.grad(  # torch as referee, ties to the first maximum
        torch.nn.functional.max_pool2d(t := torch.tensor(x[None, None], requires_grad=True), 2), t,
        torch.tensor(d[None, None]))[0][0, 0].numpy(),
    "cnn.max_pool": lambda x, s: x[:len(x) // s * s, :x.shape[1] // s * s].reshape(
        len(x) // s, s, x.shape[1] // s, s).max(axis=(1, 3)),
    "cnn.conv_parameter_count": lambda c_in, c_out, k: c_out * (c_in * k * k + 1),
    "modern_cnn.residual_block_parameters": lambda c_in, c_out, s: 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out + (
        c_in * c_out + 2 * c_out if s != 1 or c_in != c_out else 0),
    "modern_cnn.batchnorm2d": lambda x, g, b: g[:, None, None] * (x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(
        x.var((0, 2, 3), keepdims=True) + 1e-5) + b[:, None, None],
    "modern_cnn.shift": lambda im, dy, dx: np.pad(im, 1)[1 - dy:1 - dy + im.shape[0], 1 - dx:1 - dx + im.shape[1]],
    "modern_cnn.block_output_shape": lambda n, c, h, w, c_out, s: (n, c_out, (h - 1) // s + 1, (w - 1) // s + 1),
    "rnn.rnn_step": lambda x, h, w_ih, w_hh, b: torch.tanh(torch.nn.functional.linear(  # torch as referee
        torch.tensor(x), torch.tensor(w_ih), torch.tensor(b)) + torch.tensor(h) @ torch.tensor(w_hh).T).numpy(),
    "rnn.rnn_step_backward": lambda d, x, h, w_ih, w_hh, h_new: (
        (d * (1 - h_new ** 2)) @ w_ih, (d * (1 - h_new ** 2)) @ w_hh, (d * (1 - h_new ** 2)).T @ x,
        (d * (1 - h_new ** 2)).T @ h, (d * (1 - h_new ** 2)).sum(0)),
    "rnn.lstm_step": lambda x, h, c, w_ih, w_hh, b: tuple(t.numpy() for t in torch._VF.lstm_cell(  # torch's kernel
        torch.tensor(x), (torch.tensor(h), torch.tensor(c)), torch.tensor(w_ih), torch.tensor(w_hh), torch.tensor(b),
        torch.zeros(len(b), dtype=torch.float64))),
    "rnn.perplexity": lambda lp: math.exp(-float(np.mean(lp))),
    "sequences.lag_features": lambda s, k: (np.array([s[i:i + k] for i in range(len(s) - k)]).reshape(-1, k), s[k:]),
    "sequences.repeat_last_mse": lambda tr, te: float(np.mean((te - np.r_[tr[-1], te[:-1]]) ** 2)),
    "sequences.decoder_inputs": lambda t, bos: np.pad(t, ((0, 0), (1, 0)), constant_values=bos)[:, :-1],
    "sequences.rnn_shapes": lambda T, N, I, H, L, bi: ((T, N, H * (1 + bi)), (L * (1 + bi), N, H)),
    "attention.masked_softmax": lambda s, m: torch.nan_to_num(torch.softmax(  # torch as referee; NaN rows -> 0
        torch.as_tensor(s).masked_fill(~torch.as_tensor(m), float("-inf")), -1)).numpy(),
    "attention.attention_head": lambda x, wq, wk, wv: torch.nn.functional.scaled_dot_product_attention(
        *(torch.as_tensor(x @ w.T)[None] for w in (wq, wk, wv)))[0].numpy(),
    "attention.causal_mask": lambda L, S: np.arange(S)[None, :] <= np.arange(L)[:, None],
    "transformers.train_flops_per_token": lambda V, d, L, f, T: 3 * (2 * (L * (4 * d * d + 2 * d * f) + V * d)
                                                                     + 4 * L * T * d),
    "transformers.pre_norm_residual": lambda x, w, g, b: x + (g * (x - x.mean(-1, keepdims=True)) / np.sqrt(
        x.var(-1, keepdims=True) + 1e-5) + b) @ w.T,
    "transformers.block_parameters": lambda d, f: sum(p.numel() for p in torch.nn.TransformerEncoderLayer(  # referee
        d, 1, f).parameters()),
    "graphs.normalized_adjacency": lambda A: (lambda a: a / np.sqrt(np.outer(a.sum(1), a.sum(1))))(A + np.eye(len(A))),
    "graphs.message_step": lambda x, ei: np.eye(len(x))[ei[1]].T @ x[ei[0]],      # (N, E) incidence of targets
    "graphs.mean_readout": lambda x, b: np.stack([x[b == g].mean(0) if (b == g).any() else np.zeros(x.shape[1])
                                                  for g in range(b.max() + 1)]),
    "transfer.trainable_parameters": lambda c1, c2, n, method: sum(  # referee: the page's model, counted by torch
        p.numel() for p in (lambda m: m[-2] if method == "probe" else m)(
            __import__("companion.transfer", fromlist=["build_model"]).build_model(n, channels=(c1, c2))).parameters()),
    "transfer.discriminative_rates": lambda lr, f, L: np.array([lr / f ** (L - l) for l in range(1, L + 1)]),
    "transfer.probe_gradient": lambda F, y, W, b, l2: (lambda Wt, bt: (
        torch.autograd.grad(torch.nn.functional.cross_entropy(torch.tensor(F) @ Wt.T + bt, torch.tensor(y))
                            + 0.5 * l2 * (Wt ** 2).sum(), (Wt, bt))))(
        torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)),
    "deployment.psi": lambda e, a: (lambda e, a: float(np.sum((a - e) * np.log(a / e))))(np.maximum(e, 1e-4),
                                                                                        np.maximum(a, 1e-4)),
    "deployment.ks_statistic": lambda a, b: float(__import__("scipy.stats").stats.ks_2samp(a, b).statistic),  # referee
    "deployment.holm": lambda p, alpha: __import__("statsmodels.stats.multitest").stats.multitest.multipletests(
        p, alpha, "holm")[0],                                                                            # referee
    "deployment.status_code": lambda ct, n, limit, parses, valid: (
        413 if n > limit else 415 if ct.partition(";")[0].strip().lower() != "application/json"
        else 400 if not parses else 422 if not valid else 200),
    "scaling.ring_cost": lambda n, p, B, a: (p - 1) * (2 * n / p / B + 2 * a),
    "scaling.zero_memory": lambda P, N, s: (16 * P, 4 * P + 12 * P / N, 2 * P + 14 * P / N, 16 * P / N)[s],
    "scaling.bubble_fraction": lambda K, M: 1 - M / (M + K - 1),                 # 1 - busy slots / all slots
    "scaling.shard": lambda n, w, r: np.array(list(torch.utils.data.distributed.DistributedSampler(
        range(n), num_replicas=w, rank=r, shuffle=False))),                     # referee
    "frameworks.bfloat16_round": lambda x: torch.from_numpy(x).to(torch.bfloat16).float().numpy(),  # referee
    "frameworks.batches_per_epoch": lambda n, b, d: len(torch.utils.data.DataLoader(range(n), batch_size=b,
                                                                                     drop_last=d)),  # referee
    "frameworks.dense_to_keras": lambda w, b: (np.ascontiguousarray(w.T), b),
    # responsible.* (issue 15): entries go below this line
    "responsible.selection_rate_difference": lambda yp, g: float(np.ptp([yp[g == k].mean() for k in np.unique(g)])),
    "responsible.reweighing_weights": lambda g, y: __import__("companion.fairness").fairness.reweighing_weights(g, y),
    "responsible.completeness_gap": lambda a, fx, fb: a.sum(1) - fx + fb,
    "responsible.occlusion_drop": lambda w, b, x, s, k, base: float(w[s:s + k] @ (x[s:s + k] - base)),
    # energy.* (issue 15): entries go below this line
    "energy.linear_flops": lambda b, i, o: 2 * b * i * o,
    "energy.conv2d_flops": lambda b, ci, co, k, h, w, g: 2 * b * co * (ci // g) * k * k * h * w,
    "energy.kwh_co2e": lambda w, h, pue, g: (w * h / 1000 * pue, w * h / 1000 * pue * g / 1000),
    "energy.flops_6nd": lambda n, d: 6 * n * d,
    # conclusion.* (issue 15): entries go below this line
    "conclusion.sgd_step": lambda x, y, w, b, lr: (
        lambda g: (w - lr * g.T @ x, b - lr * g.sum(0)))(
        (np.exp(x @ w.T + b - np.logaddexp.reduce(x @ w.T + b, axis=1, keepdims=True)) - np.eye(len(b))[y]) / len(y)),
    "conclusion.conv_output_size": lambda h, k, p, s, d: (h + 2 * p - d * (k - 1) - 1) // s + 1,
    "conclusion.lstm_parameter_count": lambda i, h, L, bi: (1 + bi) * 4 * (
        (h * i + h * h + 2 * h) + (L - 1) * (h * (1 + bi) * h + h * h + 2 * h)),   # first layer, then the others
    # roadmap.* (issue 15): entries go below this line
    "roadmap.mlp_parameters": lambda sizes: sum(p.numel() for p in torch.nn.Sequential(                      # referee
        *[torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]).parameters()),
    "roadmap.conv_blocks_shape": lambda c, h, w, blocks: tuple(torch.nn.Sequential(*[torch.nn.Sequential(   # referee
        torch.nn.Conv2d(i, o, 3, padding=1), torch.nn.MaxPool2d(2)) for i, o in zip([c] + blocks[:-1], blocks)])(
        torch.zeros(1, c, h, w)).shape[1:]),
    "roadmap.padding_mask": lambda lengths: (torch.nn.utils.rnn.pad_sequence(                             # referee
        [torch.ones(int(n)) for n in lengths], batch_first=True) > 0).numpy(),
}
WRONG = {  # each a mistake a reader makes, and a phrase the verdict must contain
    "intro.neuron": (lambda x, w, b: float(np.dot(w, x) + b), "expected"),  # forgot the ReLU
    "intro.parameter_count": (3 * 4 + 4 * 2, "expected 26"),  # forgot the biases
    "intro.updates": (lambda n, b, e: (n // b) * e, "batch_size ="),  # dropped the last partial batch
    "history.perceptron_update": (lambda w, b, x, t, lr: (w + lr * t * x, b + lr * t), "expected"),  # even when right
    "history.plateau_loss": (lambda t, n: -sum(np.log(np.mean(t == v)) for v in t) / len(t), "n = 4"),  # per stuck input
    "history.oja_direction": (lambda X: np.linalg.eigh(X.T @ X)[1][:, 0], "expected"),  # smallest eigenvalue's axis
    "forward.sigmoid": (lambda x: np.exp(x) / (1 + np.exp(x)), "FloatingPointError: overflow"),  # e^800 = inf
    "forward.dense": (lambda x, w, b: x @ w + b, "your function raised ValueError"),  # wrong layout
    "forward.softmax": (lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "nan"),
    "forward.worked_w5": (0.686, "expected 0.48"),
    "forward.leaky_relu": (lambda x, a: np.maximum(x, a * x), "negative_slope ="),  # wrong for a slope > 1
    "losses.mse_grad": (lambda p, t: 2 * (p - t), "expected"),  # forgot to divide by n
    "losses.binary_cross_entropy": (lambda p, t: float(np.sum(-(t * np.log(p) + (1 - t) * np.log(1 - p)))),
                                    "expected"),  # summed instead of averaged
    "losses.momentum_step": (lambda w, g, v, lr, m: (w - lr * g, m * v + g), "velocity ="),  # ignores velocity
    "losses.softmax_cross_entropy_grad": (lambda z, y: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
                                          - np.eye(z.shape[1])[y], "expected"),  # no max shift, no 1/N
    "backprop.sigmoid_backward": (lambda d, x: d * (1 / (1 + np.exp(-x))), "expected"),  # sigma, not sigma'
    "backprop.relu_backward": (lambda d, x: np.where(x > 0, 1.0, 0.0), "expected"),  # forgot dout
    "backprop.dense_backward": (lambda d, x, w: (d @ w, x.T @ d, d.sum(axis=0)), "expected"),  # dW transposed
    "backprop.unbroadcast": (lambda g, shape: g.sum(axis=tuple(range(g.ndim - len(shape)))),
                             "expected shape"),  # summed the added leading axes, forgot the stretched size-1 ones
    "backprop.xavier_bound": (lambda fan_in, fan_out, gain: gain * math.sqrt(2 / (fan_in + fan_out)),
                              "expected"),  # the std, not the bound: forgot the factor sqrt(3)
    "training.precision": (lambda t, p: ((t == 1) & (p == 1)).sum() / max((t == 1).sum(), 1), "expected"),
    "training.recall": (lambda t, p: ((t == 1) & (p == 1)).sum() / (t == 1).sum(), "y_true ="),  # 0/0
    "training.confusion_matrix": (lambda t, p, k: np.bincount(p * k + t, minlength=k * k).reshape(k, k),
                                  "expected"),  # transposed
    "training.threshold_for_recall": (lambda t, s, r: np.quantile(s[t == 1], 1 - r), "target ="),  # interpolates
    "regularization.dropout": (lambda x, m, p: x * m, "expected"),  # forgot to rescale
    "regularization.batchnorm": (lambda x, g, b: g * (x - x.mean(0)) / x.std(0, ddof=1) + b, "expected"),
    "regularization.stopping_epoch": (lambda losses, k: min(len(losses), int(np.argmin(losses)) + 1 + k),
                                      "patience ="),  # looks into the future
    "regularization.soft_threshold": (lambda w, t: np.where(np.abs(w) > t, w, 0.0), "expected"),  # hard threshold
    "mlp.parameter_count": (lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])), "expected 2081"),  # no biases
    "mlp.regression_forward": (lambda x, w1, b1, w2, b2, m, s: (np.maximum(x @ w1.T + b1, 0) @ w2.T + b2)[:, 0],
                               "y_std ="),  # left in standardized units
    "mlp.anomaly_flags": (lambda train, test, q: (test > np.percentile(train, q)).astype(int), "expected"),  # q is not %
    "cnn.output_size": (lambda h, k, p, s: (h + p - k) // s + 1, "expected 8"),  # padding on one side only
    "cnn.conv2d_naive": (lambda x, k, s, p: (np.lib.stride_tricks.sliding_window_view(np.pad(x, p), k.shape)[::s, ::s]
                                             * k[::-1, ::-1]).sum(axis=(2, 3)), "expected"),  # flipped: true convolution
    "cnn.max_pool_backward": (lambda x, d: np.kron(d, np.ones((2, 2))) * (x == np.kron(x.reshape(len(d), 2, -1, 2).max(
        axis=(1, 3)), np.ones((2, 2)))), "expected"),  # a tie's gradient sent to every maximum (first case has one)
    "cnn.max_pool": (lambda x, s: x[:len(x) // s * s, :x.shape[1] // s * s].reshape(
        len(x) // s, s, x.shape[1] // s, s).mean(axis=(1, 3)), "expected [[4. 2.]"),  # averaged
    "cnn.conv_parameter_count": (lambda c_in, c_out, k: c_out * (k * k + 1), "in_channels ="),  # one channel
    "modern_cnn.residual_block_parameters": (lambda c_in, c_out, s: 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out,
                                             "stride ="),  # forgot the projection shortcut
    "modern_cnn.batchnorm2d": (lambda x, g, b: g[:, None, None] * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
                               + b[:, None, None], "expected"),  # per pixel over N only, as BatchNorm1d would
    "modern_cnn.shift": (lambda im, dy, dx: np.roll(im, (dy, dx), axis=(0, 1)), "expected"),  # wraps around
    "modern_cnn.block_output_shape": (lambda n, c, h, w, c_out, s: (n, c_out, h // s, w // s),
                                      "part 3 of 4"),  # floor instead of ceil
    "rnn.rnn_step": (lambda x, h, w_ih, w_hh, b: np.tanh(x @ w_ih.T + h @ w_hh + b), "expected"),  # W_hh not transposed
    "rnn.rnn_step_backward": (lambda d, x, h, w_ih, w_hh, h_new: (d @ w_ih, d @ w_hh, d.T @ x, d.T @ h, d.sum(0)),
                              "part 1 of 5"),  # forgot tanh's derivative
    "rnn.lstm_step": (lambda x, h, c, w_ih, w_hh, b: (lambda f, i, g, o: (o * np.tanh(f * c + i * g), f * c + i * g))(
        *[act(a) for act, a in zip((lambda v: 1 / (1 + np.exp(-v)),) * 2 + (np.tanh, lambda v: 1 / (1 + np.exp(-v))),
                                   np.split(x @ w_ih.T + h @ w_hh.T + b, 4, axis=1))]),
        "part 1 of 2"),  # the blocks read in the order f, i, g, o: forget and input gates swapped
    "rnn.perplexity": (lambda lp: float(np.exp(-np.sum(lp))), "expected 50"),  # summed, not averaged
    "sequences.lag_features": (lambda s, k: (np.lib.stride_tricks.sliding_window_view(s, k)[:-1], s[k - 1:-1]),
                               "part 2 of 2"),  # the target is the window's own last value: a lag of 0
    "sequences.repeat_last_mse": (lambda tr, te: float(np.mean((te[1:] - te[:-1]) ** 2)),
                                  "expected 1.666667"),  # forgot the first test value, predicted from train
    "sequences.decoder_inputs": (lambda t, bos: np.roll(t, 1, axis=1), "expected [[1 5 6 7]]"),  # <eos> wraps round
    "sequences.rnn_shapes": (lambda T, N, I, H, L, bi: ((T, N, H * (1 + bi)), (L, N, H * (1 + bi))),
                             "part 2 of 2"),  # directions stacked in the features, as in output
    "attention.masked_softmax": (lambda s, m: (lambda e: e / np.maximum(e.sum(-1, keepdims=True), 1e-300))(
        np.exp(s) * m), "on input"),  # dead rows handled, but no max subtracted: e^800 overflows
    "attention.attention_head": (lambda x, wq, wk, wv: (lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True))(
        (x @ wq.T) @ (x @ wk.T).T) @ (x @ wv.T), "expected"),  # not scaled by 1/sqrt(d_k)
    "attention.causal_mask": (lambda L, S: np.tril(np.ones((L, L), dtype=bool))[:, :S] if S <= L
                              else np.tril(np.ones((L, S), dtype=bool), S - L), "expected"),  # bottom-right aligned
    "transformers.train_flops_per_token": (lambda V, d, L, f, T: 6 * L * (4 * d * d + 2 * d * f), "expected"),  # 6N only
    "transformers.pre_norm_residual": (lambda x, w, g, b: x + (g * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + b) @ w.T,
                                       "expected"),  # normalized each feature over the tokens, as batch norm does
    "transformers.block_parameters": (lambda d, f: 4 * d * d + 2 * d * f, "expected"),  # forgot biases and norms
    "graphs.normalized_adjacency": (lambda A: (lambda d: A / np.sqrt(np.outer(d, d)))(A.sum(1) + 1),
                                    "expected"),  # degrees counted with the self-loop, but the loop itself not added
    "graphs.message_step": (lambda x, ei: np.eye(len(x))[ei[0]].T @ x[ei[1]], "expected"),  # messages sent backwards
    "graphs.mean_readout": (lambda x, b: np.stack([x[b == g].sum(0) for g in range(b.max() + 1)]),
                            "expected"),  # summed, not averaged
    "transfer.trainable_parameters": (lambda c1, c2, n, method: 4 * c2 * n if method == "probe" else
                                      9 * (c1 + c1 * c1 + c1 * c2) + 4 * c2 * n, "expected"),  # forgot the biases
    "transfer.discriminative_rates": (lambda lr, f, L: lr / f ** np.arange(L), "expected"),  # the input layer fastest
    "transfer.probe_gradient": (lambda F, y, W, b, l2: (lambda G: (G.T @ F, G.sum(0)))(
        np.exp(F @ W.T + b) / np.exp(F @ W.T + b).sum(1, keepdims=True) - np.eye(len(b))[y]),
                                "expected"),  # summed over the examples, not averaged, and no L2 term
    "deployment.psi": (lambda e, a: float(np.sum((a - e) * np.log(a / e))), "expected"),  # no floor: an empty bin
    "deployment.ks_statistic": (lambda a, b: float(np.max(np.abs(np.searchsorted(np.sort(a), a, "right") / len(a)
                                - np.searchsorted(np.sort(b), a, "right") / len(b)))), "expected"),  # a's points only
    "deployment.holm": (lambda p, alpha: p < alpha / len(p), "expected"),              # Bonferroni: never steps down
    "deployment.status_code": (lambda ct, n, limit, parses, valid: (
        415 if ct.partition(";")[0].strip().lower() != "application/json" else 413 if n > limit
        else 400 if not parses else 422 if not valid else 200), "expected 413"),  # media type checked before size
    "scaling.ring_cost": (lambda n, p, B, a: 2 * (p - 1) * n / B + 2 * (p - 1) * a, "expected"),  # whole array a step
    "scaling.zero_memory": (lambda P, N, s: 16 * P / N if s else 16 * P, "stage = 1"),  # every stage shards it all
    "scaling.bubble_fraction": (lambda K, M: (K - 1) / M, "expected"),               # idle over busy, not over all
    "scaling.shard": (lambda n, w, r: np.arange(n)[r::w], "expected"),               # forgot the padding
    "frameworks.bfloat16_round": (lambda x: (x.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32),
                                  "expected"),  # truncated instead of rounded
    "frameworks.batches_per_epoch": (lambda n, b, d: n // b, "drop_last = False"),  # always dropped the last batch
    "frameworks.dense_to_keras": (lambda w, b: (w.reshape(w.shape[1], w.shape[0]), b), "expected"),  # not a transpose
    # responsible.* (issue 15): entries go below this line
    "responsible.selection_rate_difference": (lambda yp, g: float(np.ptp([yp[g == k].sum() / len(yp)
                                                                           for k in np.unique(g)])),
                                              "expected"),  # divided by all rows, not by the group's own
    "responsible.reweighing_weights": (lambda g, y: np.array([np.mean((g == a) & (y == b)) / (np.mean(g == a)
                                                              * np.mean(y == b)) for a, b in zip(g, y)]),
                                       "expected"),  # upside down: P(g, y) / (P(g) P(y))
    "responsible.completeness_gap": (lambda a, fx, fb: a.sum(1) - (fb - fx), "expected"),  # f(x') - f(x): sign
    "responsible.occlusion_drop": (lambda w, b, x, s, k, base: float(w[s:s + k] @ x[s:s + k]),
                                   "expected"),  # as if the baseline were always 0
    # energy.* (issue 15): entries go below this line
    "energy.linear_flops": (lambda b, i, o: b * i * o, "expected"),                      # multiply-adds, not FLOPs
    "energy.conv2d_flops": (lambda b, ci, co, k, h, w, g: 2 * b * co * ci * k * k * h * w, "expected"),  # groups
    "energy.kwh_co2e": (lambda w, h, pue, g: (w * h / 1000, w * h / 1000 * g / 1000), "expected"),      # no PUE
    "energy.flops_6nd": (lambda n, d: 2 * n * d, "expected"),                               # forward only
    # conclusion.* (issue 15): entries go below this line
    "conclusion.sgd_step": (lambda x, y, w, b, lr: (lambda g: (w - lr * g.T @ x, b - lr * g.sum(0)))(
        np.exp(x @ w.T + b - np.logaddexp.reduce(x @ w.T + b, axis=1, keepdims=True)) - np.eye(len(b))[y]),
                            "expected"),                                  # summed over the rows, not the mean
    "conclusion.conv_output_size": (lambda h, k, p, s, d: (h + 2 * p - k) // s + 1, "dilation ="),  # ignored dilation
    "conclusion.lstm_parameter_count": (lambda i, h, L, bi: (1 + bi) * L * 4 * (h * (i + h) + 2 * h),
                                        "num_layers ="),            # every layer fed the input, not the layer below
    # roadmap.* (issue 15): entries go below this line
    "roadmap.mlp_parameters": (lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])), "expected"),  # no biases
    "roadmap.conv_blocks_shape": (lambda c, h, w, blocks: (blocks[-1], -(-h // 2 ** len(blocks)), -(-w // 2 ** len(blocks))),
                                  "expected"),                                    # rounded up, not down
    "roadmap.padding_mask": (lambda lengths: np.arange(lengths.max()) <= lengths[:, None], "expected"),  # one too many
}


def test_every_exercise_has_both_answers():
    assert set(RIGHT) == set(EXERCISES) == set(WRONG)
    assert sum(i.startswith("intro.") for i in EXERCISES) >= 3
    assert sum(i.startswith("history.") for i in EXERCISES) >= 3
    assert sum(i.startswith("forward.") for i in EXERCISES) >= 3
    assert sum(i.startswith("mlp.") for i in EXERCISES) >= 3
    assert sum(i.startswith("cnn.") for i in EXERCISES) >= 5
    assert sum(i.startswith("modern_cnn.") for i in EXERCISES) >= 3
    assert sum(i.startswith("rnn.") for i in EXERCISES) >= 4
    assert sum(i.startswith("sequences.") for i in EXERCISES) >= 3
    assert sum(i.startswith("attention.") for i in EXERCISES) >= 3
    assert sum(i.startswith("transformers.") for i in EXERCISES) >= 2
    assert sum(i.startswith("graphs.") for i in EXERCISES) >= 3
    assert sum(i.startswith("transfer.") for i in EXERCISES) >= 3
    assert sum(i.startswith("deployment.") for i in EXERCISES) >= 3
    assert sum(i.startswith("scaling.") for i in EXERCISES) >= 3
    assert sum(i.startswith("frameworks.") for i in EXERCISES) >= 3
    assert sum(i.startswith("responsible.") for i in EXERCISES) >= 3
    assert sum(i.startswith("conclusion.") for i in EXERCISES) >= 3


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_right_answer_passes(exercise_id):
    verdict = check(exercise_id, RIGHT[exercise_id])
    assert verdict.correct, str(verdict)
    assert "Correct" in str(verdict) and "Correct" in verdict._repr_html_()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers overflow, as readers' do
@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_wrong_answer_fails_with_a_concrete_message(exercise_id):
    answer, phrase = WRONG[exercise_id]
    verdict = check(exercise_id, answer)
    assert not verdict.correct
    assert phrase in verdict.message, verdict.message
    if EXERCISES[exercise_id].cases is not None:
        assert "on input" in verdict.message
    assert "Traceback" not in verdict.message


def test_rnn_step_backward_must_use_the_given_h_new():
    def recomputes_without_bias(d, x, h, w_ih, w_hh, h_new):        # the bias is not an argument: ignores it
        da = d * (1 - np.tanh(x @ w_ih.T + h @ w_hh.T) ** 2)
        return da @ w_ih, da @ w_hh, da.T @ x, da.T @ h, da.sum(0)

    assert not check("rnn.rnn_step_backward", recomputes_without_bias)


def test_answers_that_are_not_functions_or_numbers():
    assert "did the function forget to `return`" in check("forward.sigmoid", lambda x: None).message
    assert "expected a function" in check("forward.sigmoid", 0.5).message
    assert "expected a number" in check("forward.worked_w5", "0.48").message
    assert "expected shape (3, 2)" in check("forward.dense", lambda x, w, b: (x @ w.T + b).T).message \
        or "expected shape" in check("forward.dense", lambda x, w, b: (x @ w.T + b).ravel()).message


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(KeyError, match="forward.sigmoid"):
        check("forward.sigmod", None)
    assert "sigmoid" in describe("forward.sigmoid")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_answer_cannot_corrupt_the_reference_inputs():
    def vandal(x):
        out = np.exp(-np.logaddexp(0, -x))
        x[:] = 0  # modifies its input; the reference must still see the original
        return out

    assert check("forward.sigmoid", vandal).correct


def test_naive_sigmoid_is_rejected_for_its_overflow():
    """1 / (1 + e^-x) returns the right 0 at x = -800, but only after e^800 overflowed to inf."""
    naive = check("forward.sigmoid", lambda x: 1 / (1 + np.exp(-x)))
    assert not naive.correct
    assert "FloatingPointError: overflow encountered in exp" in naive.message
    assert "x = [-800." in naive.message
    with np.errstate(over="ignore"):  # outside the checker the same function merely warns, and is right
        np.testing.assert_allclose(1 / (1 + np.exp(-np.array([-800.0, 800.0]))), [0.0, 1.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_errstate_applies_to_that_exercise_only():
    """Other exercises keep NumPy's default: an overflow there is judged by the value it leads to."""
    assert check("forward.softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)).message \
        .count("FloatingPointError") == 0
    assert np.geterr()["over"] == "warn"


def test_importing_the_exercises_does_not_import_scipy_stats():
    """Every page imports companion.exercises; scipy.stats (a second or two) is loaded only by the one
    checker that needs it, when it runs."""
    import subprocess
    import sys
    code = "import sys, companion.exercises; print('scipy.stats' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
