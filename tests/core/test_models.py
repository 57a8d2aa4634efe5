import numpy as np
import pytest
import torch

from engine import RunConfig, Trainer
from engine.core.datasets import Dataset
from engine.core.heads import BinaryHead, RegressionHead
from engine.core.loop import train
from engine.core.models import ACTIVATIONS, INITS, MLP, build_mlp
from engine.core.probes import decision_grid


def test_empty_hidden_list_is_a_single_linear_layer():
    model = build_mlp(2, [], 1, "tanh", "auto")
    assert len(model.linears) == 1 and model.linears[0].weight.shape == (1, 2)


def test_layer_shapes_follow_the_hidden_sizes():
    model = build_mlp(2, [8, 5], 3, "relu", "auto")
    assert [tuple(layer.weight.shape) for layer in model.linears] == [(8, 2), (5, 8), (3, 5)]
    assert model(torch.zeros(7, 2)).shape == (7, 3)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("init", INITS)
def test_every_activation_and_init_builds_a_finite_network(activation, init):
    model = build_mlp(2, [8, 8], 1, activation, init)
    assert torch.isfinite(model(torch.randn(5, 2))).all()


def test_auto_init_is_xavier_for_sigmoid_and_he_for_relu():
    def weight_std(activation):
        torch.manual_seed(0)
        return build_mlp(64, [64], 1, activation, "auto", seed=1).linears[0].weight.std().item()

    xavier_std = (2 / (64 + 64)) ** 0.5
    he_std = (2 / 64) ** 0.5
    assert weight_std("sigmoid") == pytest.approx(xavier_std, rel=0.1)
    assert weight_std("relu") == pytest.approx(he_std, rel=0.1)


def test_normal_init_uses_the_chosen_std():
    model = build_mlp(64, [64], 1, "tanh", "normal", init_std=0.5)
    assert model.linears[0].weight.std().item() == pytest.approx(0.5, rel=0.1)


def test_same_seed_same_weights():
    a, b = build_mlp(2, [8], 1, "tanh", "pytorch", seed=3), build_mlp(2, [8], 1, "tanh", "pytorch", seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_dropout_is_active_in_training_and_off_in_evaluation():
    model = build_mlp(2, [64], 1, "relu", "auto", dropout=0.5)
    x = torch.randn(32, 2)
    model.train()
    assert not torch.equal(model(x), model(x))
    linear, activation, dropout = model.layers[:3]
    hidden = activation(linear(x))
    dropped = dropout(hidden)
    zeroed = (dropped == 0) & (hidden != 0)
    assert 0.3 < zeroed.float().sum() / (hidden != 0).float().sum() < 0.7
    model.eval()
    assert torch.equal(model(x), model(x))


def test_softmax_head_trains_on_three_classes():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 1], [1, -1], [-1, -1]], dtype=np.float32)
    labels = rng.integers(0, 3, 300)
    x = (centres[labels] + rng.normal(0, 0.3, (300, 2))).astype(np.float32)
    data = Dataset(x[:200], labels[:200], x[200:], labels[200:], ((-2, 2), (-2, 2)), n_classes=3)
    trainer = Trainer(RunConfig(hidden_sizes=(8,)), data=data)
    assert trainer.model.linears[-1].out_features == 3
    train(trainer, 20 * trainer.steps_per_epoch)
    assert trainer.evaluate().test_acc > 0.9
    grid = decision_grid(trainer.network, trainer.data.bounds, 20)
    assert grid.probability.shape == (20, 20, 3)
    np.testing.assert_allclose(grid.probability.sum(axis=2), 1.0, atol=1e-5)


def test_mlp_hidden_outputs_give_each_hidden_layer():
    model = MLP(2, [4, 3], 1)
    outputs = model.hidden_outputs(torch.zeros(5, 2))
    assert [o.shape for o in outputs] == [(5, 4), (5, 3)]


def test_regression_head_answers_the_raw_output_and_scores_it_by_squared_error():
    head = RegressionHead()
    logits = torch.tensor([[3.0], [-2.0]])
    targets = head.targets(torch.tensor([1.0, -2.0]))
    assert head.n_outputs(0) == 1 and targets.shape == (2, 1)
    assert head.outputs(logits).tolist() == [3.0, -2.0]  # no sigmoid: a value may be any number
    assert head.loss(logits, targets).item() == pytest.approx(2.0)  # ((3 - 1)² + 0²) / 2


def test_binary_head_answers_a_probability_and_scores_it_by_cross_entropy():
    head = BinaryHead()
    logits = torch.tensor([[0.0], [10.0]])
    np.testing.assert_allclose(head.outputs(logits).numpy(), [0.5, 1.0], atol=1e-4)
    assert head.loss(logits, head.targets(torch.tensor([1, 1]))).item() == pytest.approx(np.log(2) / 2, abs=1e-4)
