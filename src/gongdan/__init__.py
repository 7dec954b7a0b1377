"""gongdan (工单): a self-hosted work-order system for manufacturers and their service teams."""

__version__ = "0.1.0"
