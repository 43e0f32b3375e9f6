"""Elevator retrofits (加装电梯): a 单元's request, its owners' consents, floor shares and subsidies."""
