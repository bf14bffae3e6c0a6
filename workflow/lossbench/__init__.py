"""lossbench: which loss should I train this classifier with?"""
