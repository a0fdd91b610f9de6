namespace gt::kube {}
