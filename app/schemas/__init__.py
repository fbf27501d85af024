"""Request and response models. Tables with geometry are never returned directly."""
