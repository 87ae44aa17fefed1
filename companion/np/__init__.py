"""NumPy reference implementations: the math spelled out, forward and backward by hand."""

from companion.np.activations import (
    Activation,
    activation_backward,
    activation_forward,
    gelu,
    gelu_derivative,
    get_activation,
    get_derivative,
    leaky_relu,
    leaky_relu_derivative,
    linear_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    silu,
    silu_derivative,
    softmax,
    softmax_backward,
    softmax_jacobian,
    tanh,
    tanh_derivative,
)
# linear is the dense layer under torch's name (F.linear); the identity activation stays get_activation("linear")
from companion.np.dense import Dense, dense, dense_backward, dense_forward, linear, linear_backward, linear_forward
from companion.np.embedding import Embedding, embedding, embedding_backward, embedding_forward
from companion.np.attention import (AdditiveAttention, SDPACache, additive_attention, additive_attention_backward,
                                    additive_attention_forward, attention_weights, causal_mask, masked_softmax,
                                    masked_softmax_backward, masked_softmax_forward, scaled_dot_product_attention,
                                    scaled_dot_product_attention_backward, scaled_dot_product_attention_forward)
from companion.np.positional import (LearnedPositions, apply_rotary, apply_rotary_backward, apply_rotary_forward,
                                     inverse_frequencies, rotary_angles, sinusoidal_positions)
from companion.np.sampling import sample_next, top_k_logits
from companion.np.losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    cross_entropy,
    cross_entropy_grad,
    mse,
    mse_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from companion.np.network import Sequential, build_mlp, from_weights
from companion.np.regularization import (Dropout, dropout_backward, dropout_forward, soft_threshold,
                                         soft_threshold_backward)
from companion.np.normalization import (BatchNorm1d, BatchNorm2d, LayerNorm, batchnorm2d_backward,
                                       batchnorm2d_forward, batchnorm_backward, batchnorm_forward, layer_norm,
                                       layer_norm_backward, layer_norm_forward)
from companion.np.conv import (Conv1d, Conv2d, Flatten, conv1d, conv1d_backward, conv1d_forward, conv2d,
                               conv2d_backward, conv2d_forward, conv2d_input_grad, conv2d_naive, conv2d_weight_grad)
from companion.np.conv_transpose import (ConvTranspose2d, conv_transpose2d, conv_transpose2d_backward,
                                         conv_transpose2d_forward)
from companion.np.pool import (AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d, adaptive_avg_pool2d,
                               avg_pool2d, max_pool2d, max_unpool2d)
from companion.np.lenet import build_lenet
from companion.np.recurrent import (GRUCell, LSTMCell, RNNCell, gru_cell, gru_cell_backward, gru_cell_forward,
                                    lstm_cell, lstm_cell_backward, lstm_cell_forward, rnn_cell, rnn_cell_backward,
                                    rnn_cell_forward)
from companion.np.recurrent import (GRU, LSTM, RNN, gru, gru_backward, gru_forward, lstm, lstm_backward,
                                    layer_class, lstm_forward, rnn, rnn_backward, rnn_forward)
from companion.np.multihead import (MultiheadAttention, multi_head_attention, multi_head_attention_backward,
                                    multi_head_attention_forward)
from companion.np.transformer import (TransformerDecoderLayer, TransformerEncoderLayer, transformer_decoder_layer,
                                      transformer_decoder_layer_backward, transformer_decoder_layer_forward,
                                      transformer_encoder_layer, transformer_encoder_layer_backward,
                                      transformer_encoder_layer_forward)
from companion.np.resnet import PlainBlock, ResidualBlock, build_deep_cnn, build_resnet
from companion.np.diagnostics import last_block_gradient, layer_gradient_norms, update_ratios
from companion.np.bptt import hidden_gradient_norms
from companion.np.schedules import CosineAnnealingLR, ExponentialLR, LinearLR, SequentialLR, StepLR, lr_curve
from companion.np.clip import clip_grad_norm
from companion.np.init import (calculate_fan_in_and_fan_out, calculate_gain, conv_init, deep_stack_statistics,
                               dense_init, kaiming_normal, kaiming_std, kaiming_uniform,
                               propagation_statistics, xavier_normal, xavier_std, xavier_uniform)
from companion.np.gpt import GPT
from companion.np.graph import (add_remaining_self_loops, add_self_loops, adjacency_matrix, degree, degree_matrix,
                                gcn_norm, global_add_pool, global_max_pool, global_mean_pool, global_pool_backward,
                                global_pool_forward, message_passing, normalized_adjacency, propagate,
                                propagate_backward, propagate_dense, propagate_forward, remove_self_loops, scatter,
                                scatter_backward, scatter_forward, scatter_softmax, scatter_softmax_backward,
                                scatter_softmax_forward)
from companion.np.gnn import (GCNConv, SAGEConv, gcn_conv, gcn_conv_backward, gcn_conv_forward, gcn_norm_backward,
                              sage_conv, sage_conv_backward, sage_conv_forward)
from companion.np.gat import GATConv, gat_conv, gat_conv_backward, gat_conv_forward
from companion.np.precision import format_info, round_to, round_to_bfloat16
