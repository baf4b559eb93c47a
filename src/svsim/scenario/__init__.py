"""Scenario files: reading, validating and resolving the YAML a policy lead writes."""

from .dated import Series
from .errors import Problem, ScenarioError
from .interventions import Intervention
from .load import load_scenario
from .model import Scenario
from .targets import Targets

__all__ = ["Intervention", "Problem", "Scenario", "ScenarioError", "Series", "Targets", "load_scenario"]
