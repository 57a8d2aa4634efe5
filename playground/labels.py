"""What the page calls each engine name, in the course's words."""

DATASETS = {
    "and": "AND", "or": "OR", "xor": "XOR", "circle": "Circle", "gaussians": "Two Gaussians",
    "spirals": "Spirals", "moons": "Moons",
}
ACTIVATIONS = {
    "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU", "elu": "ELU",
    "gelu": "GELU", "linear": "Linear (none)",
}
INITS = {
    "auto": "Auto (Xavier / He)", "xavier": "Xavier (Glorot)", "he": "He (Kaiming)", "pytorch": "PyTorch default",
    "normal": "Normal (choose std)", "zeros": "All zeros",
}
OPTIMIZERS = {
    "sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov (NAG)", "adagrad": "Adagrad", "rmsprop": "RMSProp",
    "adadelta": "AdaDelta", "adam": "Adam", "nadam": "Nadam",
}
FIELDS = {
    "dataset": "Dataset", "n_points": "Points", "noise": "Noise", "test_fraction": "Test share",
    "input_scale": "Input scale", "standardize": "Standardise inputs", "hidden_sizes": "Hidden layers",
    "activation": "Activation", "init": "Weight init", "init_std": "Init std", "dropout": "Dropout",
    "optimizer": "Optimizer", "learning_rate": "Learning rate", "batch_size": "Batch size",
    "weight_decay": "L2 weight decay", "seed": "Seed",
}
