"""Lectures and the training utilities they share.

Each lecture is a module that reads top to bottom as a lesson (setup, data,
model from scratch, concise model, train, evaluate); `coursework.topics` lists
them, and ``coursework train TOPIC`` trains one from the command line.
"""
