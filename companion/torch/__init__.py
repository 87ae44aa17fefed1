"""PyTorch versions of the NumPy reference: the same module and public names, backward by autograd.

Modules and tensors go to :func:`companion.device` (CUDA, then MPS, else CPU) unless told otherwise.
"""

from companion.torch.activations import (
    Activation,
    gelu,
    get_activation,
    leaky_relu,
    relu,
    sigmoid,
    silu,
    softmax,
    tanh,
)
# linear is the dense layer under torch's name (F.linear); the identity activation stays get_activation("linear")
from companion.torch.dense import Dense, dense, linear
from companion.torch.embedding import Embedding, embedding
from companion.torch.attention import (AdditiveAttention, additive_attention, attention_weights, causal_mask,
                                       masked_softmax, scaled_dot_product_attention)
from companion.torch.positional import (LearnedPositions, apply_rotary, inverse_frequencies, rotary_angles,
                                        sinusoidal_positions)
from companion.torch.sampling import sample_next, top_k_logits
from companion.torch.losses import binary_cross_entropy, cross_entropy, mse, softmax_cross_entropy
from companion.torch.network import Sequential, build_mlp, from_weights
from companion.torch.regularization import Dropout, soft_threshold
from companion.torch.normalization import BatchNorm1d, BatchNorm2d, LayerNorm, layer_norm
from companion.torch.conv import Conv1d, Conv2d, Flatten, conv1d, conv2d, conv2d_input_grad, conv2d_weight_grad
from companion.torch.conv_transpose import ConvTranspose2d, conv_transpose2d
from companion.torch.pool import (AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d, adaptive_avg_pool2d,
                                  avg_pool2d, max_pool2d, max_unpool2d)
from companion.torch.lenet import build_lenet
from companion.torch.recurrent import (GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, detach_state, gru, gru_cell,
                                       gru_cell_backward, gru_cell_forward, layer_class, lstm, lstm_cell,
                                       lstm_cell_backward, lstm_cell_forward, rnn, rnn_cell, rnn_cell_backward,
                                       rnn_cell_forward)
from companion.torch.multihead import (MultiheadAttention, multi_head_attention, multi_head_attention_backward,
                                       multi_head_attention_forward)
from companion.torch.transformer import (TransformerDecoderLayer, TransformerEncoderLayer, transformer_decoder_layer,
                                         transformer_decoder_layer_backward, transformer_decoder_layer_forward,
                                         transformer_encoder_layer, transformer_encoder_layer_backward,
                                         transformer_encoder_layer_forward)
from companion.torch.resnet import PlainBlock, ResidualBlock, build_deep_cnn, build_resnet
from companion.torch.diagnostics import last_block_gradient, layer_gradient_norms, update_ratios
from companion.torch.bptt import hidden_gradient_norms
from companion.torch.schedules import CosineAnnealingLR, ExponentialLR, LinearLR, SequentialLR, StepLR, lr_curve
from companion.torch.clip import clip_grad_norm
from companion.torch.init import (calculate_fan_in_and_fan_out, calculate_gain, conv_init, deep_stack_statistics,
                                  dense_init, kaiming_normal, kaiming_std, kaiming_uniform,
                                  propagation_statistics, xavier_normal, xavier_std, xavier_uniform)
from companion.torch.gpt import GPT
from companion.torch.graph import (add_remaining_self_loops, add_self_loops, adjacency_matrix, degree, degree_matrix,
                                   gcn_norm, global_add_pool, global_max_pool, global_mean_pool, message_passing,
                                   normalized_adjacency, propagate, propagate_dense, remove_self_loops, scatter,
                                   scatter_softmax)
from companion.torch.gnn import GCNConv, SAGEConv, gcn_conv, sage_conv
from companion.torch.gat import GATConv, gat_conv
from companion.torch.precision import format_info, round_to, round_to_bfloat16
