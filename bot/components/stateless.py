"""A component with nothing to train and nothing to store: it only acts on each message."""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData


class StatelessComponent(GraphComponent):
    """Subclasses override `prepare` (once, when the model loads) and `process`."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StatelessComponent:
        cls.prepare()
        return cls()

    @classmethod
    def prepare(cls) -> None:
        """Work done once before the first message."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
