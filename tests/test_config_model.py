"""One validation style for every config: a ConfigModel, and one line naming the field and value."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from facetwin.agents.rl.train import RLTrainConfig
from facetwin.agents.selfmodel.babble import BabbleConfig
from facetwin.agents.selfmodel.train import TrainConfig
from facetwin.config_model import ConfigModel, config_error
from facetwin.envs.config import MimicConfig
from facetwin.errors import ConfigError
from facetwin.face_config import FaceConfig
from facetwin.hardware.calibration import Calibration
from facetwin.hardware.safety import SafetyConfig
from facetwin.perception.one_euro import OneEuroConfig
from facetwin.perception.pipeline import PerceptionConfig
from facetwin.perception.reachable import ReachProtocol
from facetwin.perception.retarget import RetargetConfig

ROOT = Path(__file__).parents[1]
CONFIGS = [BabbleConfig, TrainConfig, RLTrainConfig, RetargetConfig, OneEuroConfig, PerceptionConfig, ReachProtocol,
           SafetyConfig, MimicConfig, FaceConfig, Calibration]


class _Inner(ConfigModel):
    rate: float = Field(1.0, gt=0.0)


class _Outer(ConfigModel):
    inner: list[_Inner] = []


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_every_config_is_a_frozen_strict_config_model(config):
    assert issubclass(config, ConfigModel)
    assert config.model_config["frozen"] and config.model_config["extra"] == "forbid"


def test_no_config_is_checked_by_hand():
    rooms = ("facetwin", "sim", "perception", "envs", "agents", "hardware", "app", "assets")
    offenders = [str(path.relative_to(ROOT)) for room in rooms for path in (ROOT / room).rglob("*.py")
                 if "__post_init__" in path.read_text()]
    assert offenders == []


def test_a_bad_value_is_one_line_naming_config_field_and_value():
    with pytest.raises(ConfigError) as info:
        BabbleConfig(max_rate=-2.0)
    assert str(info.value) == "BabbleConfig: max_rate: Input should be greater than 0 (got -2.0)"
    with pytest.raises(ConfigError, match=r"^SafetyConfig: bogus: unknown field$"):
        SafetyConfig(bogus=1)
    with pytest.raises(ConfigError, match=r"^OneEuroConfig: beta: Input should be a finite number \(got nan\)$"):
        OneEuroConfig(beta=float("nan"))
    with pytest.raises(ConfigError, match=r"^BabbleConfig: min_hold 5 exceeds max_hold 2$"):
        BabbleConfig(min_hold=5, max_hold=2)


def test_a_nested_config_is_named_by_its_full_path():
    with pytest.raises(ConfigError, match=r"^_Outer: inner\[1\]\.rate: Input should be greater than 0 \(got 0\)$"):
        _Outer(inner=[{"rate": 2.0}, {"rate": 0}])


def test_a_loader_gets_the_validation_error_to_name_its_file():
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"inner": [{"rate": -1}]})
    assert str(config_error(info.value, "some.yaml")) == (
        "some.yaml: inner[0].rate: Input should be greater than 0 (got -1)")


def test_configs_are_frozen_and_equal_by_value():
    config = RetargetConfig(gain=0.5)
    with pytest.raises(ValidationError):
        config.gain = 2.0
    assert config == RetargetConfig(gain=0.5) and config.model_copy(update={"gain": 3.0}) == RetargetConfig()
