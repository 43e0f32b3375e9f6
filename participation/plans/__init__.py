"""Renovation plans (一区一案): versions, plan inputs, the workbook export, comment periods and vote items."""
